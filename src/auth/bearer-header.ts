import { headerValue, type AuthRequest } from "./authenticator.js";

/** An `Authorization` header read as a bearer credential. */
export type BearerHeader =
  | { kind: "absent" }
  /** Another scheme (HMAC, Basic, …): not a bearer credential. */
  | { kind: "other-scheme" }
  /**
   * `Bearer …`: `credential` is everything after the scheme, trimmed (may be empty); `token` is that credential when
   * it is one token (no inner whitespace), else undefined (a malformed header).
   */
  | { kind: "bearer"; credential: string; token: string | undefined };

const SCHEME = /^Bearer(\s|$)/i;

/** The one parser of `Authorization: Bearer …` headers (Entra, ARM, user tokens, /metrics, token exchange, userinfo). */
export function parseBearer(headers: AuthRequest["headers"]): BearerHeader {
  const header = headerValue(headers, "authorization");
  if (header === undefined) return { kind: "absent" };
  if (!SCHEME.test(header)) return { kind: "other-scheme" };
  const credential = header.slice("Bearer".length).trim();
  return { kind: "bearer", credential, token: /^\S+$/.test(credential) ? credential : undefined };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined for any other (or a malformed) header. */
export function bearerToken(headers: AuthRequest["headers"]): string | undefined {
  const parsed = parseBearer(headers);
  return parsed.kind === "bearer" ? parsed.token : undefined;
}
