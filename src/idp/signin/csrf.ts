import { randomBytes } from "node:crypto";
import { constantTimeEqual } from "../../util/crypto.js";
import { parseCookies, type SigninKeys } from "./signin-keys.js";

export const CSRF_COOKIE = "sb_csrf";
const CSRF_PURPOSE = "csrf";

/**
 * Double-submit CSRF protection of the authority's forms: a signed random nonce in an HttpOnly cookie, and its MAC
 * in a hidden field. A cross-site form post can set neither.
 */
export function issueCsrf(keys: SigninKeys, cookiePath: string): { field: string; setCookie: string } {
  const nonce = randomBytes(16).toString("hex");
  return {
    field: keys.mac(CSRF_PURPOSE, nonce),
    setCookie: `${CSRF_COOKIE}=${keys.sign(CSRF_PURPOSE, nonce)}; Path=${cookiePath}; HttpOnly; Secure; SameSite=Lax`,
  };
}

export function checkCsrf(keys: SigninKeys, cookieHeader: string | undefined, field: string | undefined): boolean {
  const nonce = keys.unsign(CSRF_PURPOSE, parseCookies(cookieHeader).get(CSRF_COOKIE));
  if (nonce === undefined || field === undefined) return false;
  return constantTimeEqual(field, keys.mac(CSRF_PURPOSE, nonce));
}
