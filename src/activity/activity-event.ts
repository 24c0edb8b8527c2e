import { describePrincipal, type Principal } from "../auth/principal.js";
import { isIdentityId, parseIdentityId } from "../identity/identity-id.js";

/** Operation-specific, non-secret facts (thread id, message id, call id, token scopes and expiry …). */
export type ActivityFields = Record<string, string | number | boolean | string[]>;

/** What a service records: one thing that happened for or to one or more identities. */
export interface ActivityInput {
  /** Stable operation name, e.g. `identity.issueAccessToken`, `calling.callStarted`. */
  operation: string;
  resourceId: string;
  /** Who acted: a principal, or its describePrincipal() form. A communication identity acting is filed under it. */
  principal?: Principal | string;
  /** The identities acted on (the recipient of a token, the participants added …). */
  subjects?: readonly string[];
  /**
   * Keys other than identities the event is also filed under: a console action's operator (its principal name), so
   * actions that concern no identity (key regeneration, role changes, sign-ins …) are in the record too.
   */
  keys?: readonly string[];
  /** HTTP status for requests; omitted for events that are not requests. */
  status?: number;
  errorCode?: string;
  fields?: ActivityFields;
  /** The request's id (x-ms-request-id); it becomes the event id. */
  requestId?: string;
  /** Epoch milliseconds; default: the recorder's clock. */
  time?: number;
}

/** One event as the query API and the CLI return it. */
export interface ActivityEvent {
  id: string;
  time: string;
  resourceId: string;
  operation: string;
  outcome: "succeeded" | "failed";
  status?: number;
  errorCode?: string;
  principal?: string;
  subjects: string[];
  fields?: ActivityFields;
  requestId?: string;
}

/**
 * An identity an event of `resourceId` may be filed under: an `8:acs:` identity only of that resource (another
 * resource's key must not write into its record); other `8:` kinds (Teams users) are bound to a resource elsewhere.
 */
export function isIdentityOf(value: string, resourceId: string): boolean {
  if (!isIdentityId(value)) return false;
  if (!value.startsWith("8:acs:")) return true;
  return parseIdentityId(value)?.resourceId === resourceId;
}

export function principalName(principal: Principal | string | undefined): string | undefined {
  if (principal === undefined) return undefined;
  return typeof principal === "string" ? principal : describePrincipal(principal);
}

/** The identities an event is filed under: the acting identity (if one acted) and every subject. */
export function identitiesOf(input: ActivityInput): string[] {
  const p = input.principal;
  const actor = typeof p === "string" ? p : p?.kind === "user" ? p.identity : undefined;
  const keys: string[] = actor !== undefined && isIdentityOf(actor, input.resourceId) ? [actor] : [];
  // Runs once per request: a short list and includes() beat a Set for the one or two identities an event names.
  for (const s of input.subjects ?? []) if (isIdentityOf(s, input.resourceId) && !keys.includes(s)) keys.push(s);
  return keys;
}

// Field names (compared lower-cased) that could carry a secret or content. The record never stores them, whoever
// passes them, and the request log line censors them (telemetry/request-line.ts).
const FORBIDDEN_FIELDS = new Set([
  "token",
  "accesstoken",
  "refreshtoken",
  "secret",
  "password",
  "key",
  "accesskey",
  "signature",
  "stringtosign",
  "authorization",
  "body",
  "content",
  "text",
  "html",
  "plaintext",
  "message",
]);
/** Whether a field of this name could carry a secret or content (never recorded, never logged). */
export function isForbiddenField(name: string): boolean {
  return FORBIDDEN_FIELDS.has(name.toLowerCase());
}

const MAX_STRING = 256;
const MAX_ARRAY = 50;
const MAX_FIELDS = 20;

function isShortStringList(v: readonly unknown[]): boolean {
  if (v.length > MAX_ARRAY) return false;
  for (const x of v) if (typeof x !== "string" || x.length > MAX_STRING) return false;
  return true;
}

/** Keeps only short, harmless fields. Runs once per request, so values already in shape are not copied. */
export function sanitizeFields(fields: ActivityFields | undefined): ActivityFields | undefined {
  if (fields === undefined) return undefined;
  const out: ActivityFields = {};
  let n = 0;
  for (const k in fields) {
    if (n >= MAX_FIELDS) break;
    if (k.length > 64 || isForbiddenField(k)) continue;
    const v = fields[k];
    if (typeof v === "string") out[k] = v.length <= MAX_STRING ? v : v.slice(0, MAX_STRING);
    else if (typeof v === "number" || typeof v === "boolean") out[k] = v;
    else if (Array.isArray(v)) out[k] = isShortStringList(v) ? v : v.slice(0, MAX_ARRAY).map((x) => String(x).slice(0, MAX_STRING));
    else continue;
    n++;
  }
  return n === 0 ? undefined : out;
}

export function outcomeOf(status: number | null | undefined, errorCode: string | null | undefined): "succeeded" | "failed" {
  return (errorCode !== null && errorCode !== undefined) || (status !== null && status !== undefined && status >= 400) ? "failed" : "succeeded";
}
