import type { Clock } from "../../util/clock.js";
import { constantTimeEqual, sha256Base64 } from "../../util/crypto.js";
import { parseRfc1123 } from "../../security/request-guards.js";
import { KEY_NAMES } from "../../resources/resource.js";
import { authFail, headerValue, NOT_MINE, type Authenticator, type AuthOutcome, type AuthRequest } from "../authenticator.js";
import { buildStringToSign, computeHmacSignature, HMAC_SCHEME, parseHmacAuthorization, SIGNED_HEADERS } from "./hmac-signature.js";

/** Allowed distance between x-ms-date and the server clock (ACS allows 15 minutes). */
export const MAX_CLOCK_SKEW_MS = 15 * 60_000;

/**
 * Access-key authentication (HMAC-SHA256), exactly as docs/wire-reference.md §3: the signature over the raw path, the
 * re-serialised query, x-ms-date, the Host header as received and the body hash; both keys of the resource are valid.
 */
export class HmacAuthenticator implements Authenticator {
  constructor(private readonly clock: Clock) {}

  authenticate(request: AuthRequest): AuthOutcome {
    const authorization = headerValue(request.headers, "authorization");
    if (authorization === undefined || !authorization.startsWith(HMAC_SCHEME)) return NOT_MINE;

    const parsed = parseHmacAuthorization(authorization);
    if (parsed === undefined) return authFail("InvalidAuthorizationHeader");
    if (parsed.signedHeaders.toLowerCase() !== SIGNED_HEADERS) return authFail("UnsupportedSignedHeaders");

    const date = headerValue(request.headers, "x-ms-date") ?? headerValue(request.headers, "date");
    if (date === undefined) return authFail("MissingDateHeader");
    const sentAt = parseRfc1123(date);
    if (Number.isNaN(sentAt)) return authFail("InvalidDateHeader");
    if (Math.abs(this.clock.now() - sentAt) > MAX_CLOCK_SKEW_MS) return authFail("RequestDateOutOfRange");

    const contentHash = headerValue(request.headers, "x-ms-content-sha256");
    if (contentHash === undefined) return authFail("MissingContentHash");
    if (request.bodyPending !== true && !constantTimeEqual(contentHash, sha256Base64(request.rawBody))) return authFail("ContentHashMismatch");

    const host = headerValue(request.headers, "host") ?? "";
    const stringToSign = buildStringToSign(request.method, request.rawUrl, date, host, contentHash);
    const provided = Buffer.from(parsed.signature);
    for (const keyName of KEY_NAMES) {
      const key = request.resource.keys[keyName];
      if (constantTimeEqual(Buffer.from(computeHmacSignature(key.hmacKey, stringToSign)), provided)) {
        return {
          kind: "ok",
          principal: { kind: "access-key", resourceId: request.resource.id, keyName, keyId: key.id },
        };
      }
    }
    return authFail("InvalidSignature");
  }
}
