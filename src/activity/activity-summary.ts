import type { ActivityEvent } from "./activity-event.js";
import { inCategory, issuedToken, type ActivityCategory } from "./activity-operations.js";

/** What an identity did and had done on its behalf, from its activity record. */
export interface ActivitySummary {
  identity: string;
  events: number;
  firstActivity?: string;
  lastActivity?: string;
  /** User access tokens issued to the identity. */
  tokensIssued: number;
  lastTokenIssuedAt?: string;
  revocations: number;
  /** Distinct chat threads the identity created or was added to. */
  threadsJoined: number;
  /** Chat messages the identity sent. */
  messagesSent: number;
  /** Distinct calls the identity placed, joined or was called in. */
  calls: number;
  smsSent: number;
  emailsSent: number;
  /** Requests refused with a token issued to the identity (expired, revoked, deleted …). */
  authFailures: number;
}

/** Summarises events (any order). The categories come from activity-operations.ts. */
export function summarizeActivity(identity: string, events: readonly ActivityEvent[]): ActivitySummary {
  const summary: ActivitySummary = {
    identity,
    events: events.length,
    tokensIssued: 0,
    revocations: 0,
    threadsJoined: 0,
    messagesSent: 0,
    calls: 0,
    smsSent: 0,
    emailsSent: 0,
    authFailures: 0,
  };
  const threads = new Set<string>();
  const calls = new Set<string>();
  let first: string | undefined;
  let last: string | undefined;
  let lastToken: string | undefined;
  const count: Partial<Record<ActivityCategory, number>> = {};
  for (const e of events) {
    if (first === undefined || e.time < first) first = e.time;
    if (last === undefined || e.time > last) last = e.time;
    const acted = e.principal === identity;
    if (e.status === 401 && acted) summary.authFailures++;
    if (e.outcome !== "succeeded") continue;
    if (issuedToken(e.status, e.fields) && e.subjects.includes(identity)) {
      summary.tokensIssued++;
      if (lastToken === undefined || e.time > lastToken) lastToken = e.time;
    }
    for (const category of ["revocations", "smsSent", "emailsSent"] as const) {
      if (inCategory(category, e.operation)) count[category] = (count[category] ?? 0) + 1;
    }
    if (inCategory("messagesSent", e.operation) && acted) summary.messagesSent++;
    const threadId = e.fields?.threadId;
    if (inCategory("threadsJoined", e.operation) && typeof threadId === "string") threads.add(threadId);
    if (inCategory("calls", e.operation)) {
      const callId = e.fields?.callId;
      calls.add(typeof callId === "string" ? callId : `event:${e.id}`);
    }
  }
  summary.revocations = count.revocations ?? 0;
  summary.smsSent = count.smsSent ?? 0;
  summary.emailsSent = count.emailsSent ?? 0;
  summary.threadsJoined = threads.size;
  summary.calls = calls.size;
  if (first !== undefined) summary.firstActivity = first;
  if (last !== undefined) summary.lastActivity = last;
  if (lastToken !== undefined) summary.lastTokenIssuedAt = lastToken;
  return summary;
}
