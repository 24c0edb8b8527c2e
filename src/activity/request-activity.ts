import type { RequestFacts } from "../http/pipeline.js";
import type { ActivityInput } from "./activity-event.js";

/**
 * The activity event of a finished request, from the facts the pipeline gathered: the acting principal (for a
 * refused token, the identity it was issued to), the subjects the handler named, its annotations and the outcome.
 * Requests that reached no resource (unknown paths) have no event.
 */
export function activityFromRequest(facts: RequestFacts, status: number, requestId: string | undefined): ActivityInput | undefined {
  if (facts.resourceId === undefined) return undefined;
  const principal = facts.principal ?? facts.claimedIdentity;
  return {
    operation: facts.operation,
    resourceId: facts.resourceId,
    status,
    ...(principal !== undefined ? { principal } : {}),
    ...(facts.subjects !== undefined ? { subjects: facts.subjects } : {}),
    ...(facts.activityKeys !== undefined ? { keys: facts.activityKeys } : {}),
    ...(facts.errorCode !== undefined ? { errorCode: facts.errorCode } : {}),
    ...(facts.fields !== undefined ? { fields: facts.fields } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
  };
}
