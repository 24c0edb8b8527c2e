import type { HandlerContext, Reply } from "../../http/route.js";
import { HashQueueFull, type GuessThrottle } from "../../security/guess-throttle.js";
import type { EntraPrincipals, PrincipalRecord } from "../entra-principals.js";
import { hashSource } from "../secret-hash.js";
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

export const lockoutMessage = (sec: number): string =>
  `AADSTS50053: The account is locked because of too many sign-in attempts with an incorrect secret or password. Retry after ${sec} seconds.`;

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
      ctx.request.facts.errorCode = "AADSTS50053";
      return { kind: "throttled", retryAfterSec: wait, message: lockoutMessage(wait) };
    }
  }
  let user: PrincipalRecord | undefined;
  try {
    user = await hashSource.run(source ?? "", () => checkSigninPassword(principals, username, password));
  } catch (err) {
    if (!(err instanceof HashQueueFull)) throw err;
    ctx.request.facts.errorCode = "AADSTS50196";
    return { kind: "throttled", retryAfterSec: 1, message: "AADSTS50196: Too many sign-in attempts are being checked at once. Retry shortly." };
  }
  if (user === undefined) return { kind: "wrong" };
  if (keys.length > 0) {
    guessing!.throttle.succeeded(keys.filter((k) => !k.startsWith("source:")));
    guessing!.throttle.forgive(keys.filter((k) => k.startsWith("source:")));
  }
  return { kind: "user", user };
}

/** A page reply made a throttling answer: 429 with Retry-After. */
export function throttledPage(reply: Reply, retryAfterSec: number): Reply {
  return { ...reply, status: 429, headers: { ...reply.headers, "retry-after": String(retryAfterSec) } };
}
