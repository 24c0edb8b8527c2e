import { AcsError } from "../errors/acs-errors.js";
import type { HandlerContext } from "./route.js";

type Query = HandlerContext<unknown>["query"];

/**
 * The one reader of a query parameter: its first value, undefined when absent or empty (SDK paging may repeat
 * parameters such as api-version). With `once`, a repeated parameter is a 400 InvalidQueryParameter instead.
 */
export function firstQuery(query: Query, name: string, options: { once?: boolean } = {}): string | undefined {
  const v = query[name];
  if (options.once === true && Array.isArray(v)) throw new AcsError("InvalidQueryParameter", `${name} may be given once.`, { target: name });
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined || first === "" ? undefined : first;
}

/**
 * An integer query parameter from `min` to `max`, `fallback` when absent: every API of ours answers a bad one with
 * 400 InvalidQueryParameter (chat keeps the ACS chat service's own InvalidPageSize/InvalidSkip: chat-paging.ts).
 */
export function intQuery(query: Query, name: string, fallback: number, min: number, max: number): number {
  const raw = firstQuery(query, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new AcsError("InvalidQueryParameter", `The ${name} query parameter must be an integer from ${min} to ${max}.`, { target: name });
  return n;
}

/** skip + page size (named `top` or `maxPageSize` depending on the operation). */
export function pageParams(query: Query, sizeName: string, defaultSize: number): { skip: number; size: number } {
  return { skip: intQuery(query, "skip", 0, 0, 1_000_000), size: intQuery(query, sizeName, defaultSize, 1, 1000) };
}

/**
 * An absolute nextLink on the endpoint the client used, carrying every continuation parameter and the request's
 * api-version (SDKs fetch nextLink verbatim).
 */
export function pageLink(ctx: HandlerContext<unknown>, path: string, params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v));
  const apiVersion = firstQuery(ctx.query, "api-version");
  if (apiVersion !== undefined) search.set("api-version", apiVersion);
  return `${ctx.baseUrl}${path}?${search.toString()}`;
}
