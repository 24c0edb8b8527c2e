import type { CallEvent } from "../calling/call-coordinator.js";
import type { ActivityInput } from "./activity-event.js";

/** A call event of the Calling service as an activity event (`calling.<type>`), filed under the participant. */
export function callActivity(event: CallEvent): ActivityInput {
  const fields: ActivityInput["fields"] = { callId: event.callId };
  if (event.reason !== undefined) fields.reason = event.reason;
  if (event.durationMs !== undefined) fields.durationMs = event.durationMs;
  return {
    operation: `calling.${event.type}`,
    resourceId: event.resourceId,
    subjects: [event.identity],
    fields,
    time: event.at,
  };
}
