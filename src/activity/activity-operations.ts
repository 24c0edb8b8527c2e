import type { ActivityFields } from "./activity-event.js";

/**
 * The one place that gives operation names a meaning for the summary and the metrics. A service whose operations
 * should count in a category adds its operation name (or a `prefix.*` pattern) here; nothing else needs to know.
 *
 * Token issues need no entry: any successful operation that annotates `expiresOn` issued a token (identity.create
 * with a token and identity.issueAccessToken annotate `scopes` too; the Teams and Entra token exchanges do not).
 */
export const activityCategories = {
  /** Successful operations that revoke an identity's tokens. */
  revocations: ["identity.revokeAccessTokens"],
  /** Successful operations that put the identity into a chat thread (counted per distinct `threadId`). */
  threadsJoined: ["chat.createThread", "chat.addParticipants"],
  /** Successful messages sent by the identity. */
  messagesSent: ["chat.sendMessage"],
  /** Calls the identity placed or joined (counted per distinct `callId`, else per event). */
  calls: ["calling.*"],
  smsSent: ["sms.send"],
  emailsSent: ["email.send"],
} as const satisfies Record<string, readonly string[]>;

export type ActivityCategory = keyof typeof activityCategories;

/** `chat.*` matches `chat.sendMessage`; `*` matches everything; anything else matches itself. */
export function matchesOperation(pattern: string, operation: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) return operation.startsWith(pattern.slice(0, -1));
  return pattern === operation;
}

export function inCategory(category: ActivityCategory, operation: string): boolean {
  return activityCategories[category].some((p) => matchesOperation(p, operation));
}

/** A successful operation that annotated `expiresOn` issued a user access token. */
export function issuedToken(status: number | null | undefined, fields: ActivityFields | undefined): boolean {
  return (status === null || status === undefined || (status >= 200 && status < 300)) && fields?.expiresOn !== undefined;
}

/** An operation pattern as the query API accepts it: a name, optionally ending in `.*`, or `*`. */
export const OPERATION_PATTERN = /^(?:\*|[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*(?:\.\*)?)$/;
