import { entraError, type EntraError } from "../../errors/entra-errors.js";
import type { HandlerContext, Reply } from "../../http/route.js";
import { HashQueueFull, type GuessThrottle } from "../../security/guess-throttle.js";
import type { EntraPrincipals, PrincipalRecord } from "../entra-principals.js";
import { checkSigninPassword } from "./signin-client.js";

/** The token endpoint's guess throttle (security/guess-throttle.ts) and the client's address, shared by the pages. */
export interface SigninGuessing {
  throttle: GuessThrottle;
  sourceOf: (ctx: HandlerContext<unknown>) => string | undefined;
}

export type PasswordCheck =
  | { kind: "user"; user: PrincipalRecord }
  | { kind: "wrong" }
  /** Locked out (or the hashing queue is full): the page shows `message` with status 429 and Retry-After. */
  | { kind: "throttled"; retryAfterSec: number; message: string };


/**
 * The sign-in pages' password check under the same throttle as the token endpoint's password grant: per user name
 * and per source address, failures lock out with a growing delay; a success clears the user name and takes back the
 * source's count. Unknown users cost a hash like known ones (checkSigninPassword).
 */
export async function checkThrottledPassword(
  guessing: SigninGuessing | undefined,
  ctx: HandlerContext<unknown>,
  principals: EntraPrincipals,
  username: string,
  password: string,
): Promise<PasswordCheck> {
  const source = guessing?.sourceOf(ctx);
  const keys = guessing === undefined ? [] : [`user:${username.slice(0, 200).toLowerCase()}`, ...(source !== undefined ? [`source:${source}`] : [])];
  if (keys.length > 0) {
    const wait = guessing!.throttle.attempt(keys);
    if (wait !== undefined) {
      ctx.annotate({ throttled: true });
      return throttled(ctx, entraError("AccountLocked", wait), wait);
    }
  }
  let user: PrincipalRecord | undefined;
  try {
    user = await checkSigninPassword(principals, username, password, source ?? "");
  } catch (err) {
    if (!(err instanceof HashQueueFull)) throw err;
    return throttled(ctx, entraError("SigninHashQueueFull"), 1);
  }
  if (user === undefined) return { kind: "wrong" };
  if (keys.length > 0) {
    guessing!.throttle.succeeded(keys.filter((k) => !k.startsWith("source:")));
    guessing!.throttle.forgive(keys.filter((k) => k.startsWith("source:")));
  }
  return { kind: "user", user };
}

/** The page shows the catalogue's message; its code goes to the request log line and metrics. */
function throttled(ctx: HandlerContext<unknown>, failure: EntraError, retryAfterSec: number): PasswordCheck {
  ctx.request.facts.errorCode = failure.logCode;
  return { kind: "throttled", retryAfterSec, message: failure.description };
}

/** A page reply made a throttling answer: 429 with Retry-After. */
export function throttledPage(reply: Reply, retryAfterSec: number): Reply {
  return { ...reply, status: 429, headers: { ...reply.headers, "retry-after": String(retryAfterSec) } };
}
