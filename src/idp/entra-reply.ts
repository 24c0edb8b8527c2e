import { EntraError, renderEntraError } from "../errors/entra-errors.js";
import type { HandlerContext, Reply } from "../http/route.js";

type WithFacts = Pick<HandlerContext<unknown>, "request">;

/**
 * Renders a refusal of the authority (errors/entra-errors.ts) and puts its code (`AADSTS7000215`, or the OAuth error
 * when it has no number) into the request's facts, as the ACS error handler does: the request log line and the
 * metrics read it from there.
 */
export function entraReply(ctx: WithFacts, failure: EntraError, now: number, shape: "oauth" | "brief" = "oauth"): Reply {
  ctx.request.facts.errorCode = failure.logCode;
  return renderEntraError(failure, now, shape);
}

/** Runs an endpoint of the authority; an EntraError thrown by any step becomes its reply. */
export async function runEntraStep(ctx: WithFacts, now: () => number, fn: () => Promise<Reply> | Reply, shape: "oauth" | "brief" = "oauth"): Promise<Reply> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof EntraError) return entraReply(ctx, err, now(), shape);
    throw err;
  }
}
