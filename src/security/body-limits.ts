import type { RouteSpec } from "../http/route.js";

/** Identity, chat, SMS, phone numbers, admin: well under 1 MB (a 250-participant thread with metadata fits). */
export const DEFAULT_BODY_LIMIT = 512 * 1024;
/** Above this declared size (or with a chunked body) credentials are checked before the body is read. */
export const PREAUTH_BODY_THRESHOLD = 64 * 1024;
/** Room for the JSON around an e-mail's content (addresses, headers, names). */
const EMAIL_ENVELOPE_ALLOWANCE = 256 * 1024;

/**
 * The largest body each route reads, sized to its operation: e-mail (attachments travel base64-encoded, 4/3 of their
 * size) up to the configured message size, like ACS's 10 MB; everything else DEFAULT_BODY_LIMIT. Larger: 413.
 */
export function bodyLimitFor(route: RouteSpec, emailMaxMessageBytes: number): number {
  if (route.operation === "email.send") return Math.ceil((emailMaxMessageBytes * 4) / 3) + EMAIL_ENVELOPE_ALLOWANCE;
  return DEFAULT_BODY_LIMIT;
}
