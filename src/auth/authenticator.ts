import type { Resource } from "../resources/resource.js";
import type { ErrorCode } from "../errors/acs-errors.js";
import type { Principal } from "./principal.js";

/** What an authenticator sees of a request. */
export interface AuthRequest {
  method: string;
  /** The request target exactly as received (path and query, not decoded). */
  rawUrl: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  resource: Resource;
  /**
   * The body has not been read yet (a large body: credentials are checked first). Authenticators check everything
   * but the body; the pipeline authenticates again, with the body, once it is read.
   */
  bodyPending?: boolean;
}

export type AuthOutcome =
  | { kind: "not-mine" }
  | { kind: "ok"; principal: Principal }
  /**
   * `identity`: the communication identity a genuinely signed but refused credential was issued to (an expired or
   * revoked token). Never taken from an unverified credential. The refusal is filed in that identity's activity.
   */
  | { kind: "fail"; code: ErrorCode; message?: string; identity?: string };

/** One authentication scheme. It answers not-mine for a request it does not recognise, so the chain can go on. */
export interface Authenticator {
  authenticate(request: AuthRequest): AuthOutcome | Promise<AuthOutcome>;
}

export const NOT_MINE: AuthOutcome = Object.freeze({ kind: "not-mine" });

export function authFail(code: ErrorCode, message?: string): AuthOutcome {
  return message === undefined ? { kind: "fail", code } : { kind: "fail", code, message };
}

export function headerValue(headers: AuthRequest["headers"], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
