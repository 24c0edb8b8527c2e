import type { ActivityRecorder } from "../activity/activity-recorder.js";
import { activityFromRequest } from "../activity/request-activity.js";
import type { RequestFacts } from "../http/pipeline.js";
import type { SwitchboardMetrics } from "./metrics.js";

/** The `onRequestDone` hook of the HTTP app: every finished request moves the metrics and lands in the activity record. */
export function createRequestObserver(activity: ActivityRecorder, metrics: SwitchboardMetrics | undefined) {
  return (facts: RequestFacts, status: number, durationMs: number, requestId: string): void => {
    metrics?.observeRequest(facts, status, durationMs);
    const event = activityFromRequest(facts, status, requestId);
    if (event !== undefined) activity.record(event);
  };
}
