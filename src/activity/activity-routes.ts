import { AcsError } from "../errors/acs-errors.js";
import { firstQuery, pageLink } from "../http/query.js";
import { defineRoute, type HandlerContext, type RouteSpec } from "../http/route.js";
import { OPERATION_PATTERN } from "./activity-operations.js";
import type { ActivityCursor, ActivityRepository } from "./activity-repository.js";

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1_000;

function single(ctx: HandlerContext<unknown>, name: string): string | undefined {
  return firstQuery(ctx.query, name, { once: true });
}

function parseTime(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) {
    throw new AcsError("InvalidQueryParameter", `${name} must be an ISO-8601 date-time.`, { target: name });
  }
  return t;
}

export function encodeCursor(cursor: ActivityCursor): string {
  return Buffer.from(`${cursor.time}.${cursor.id}`).toString("base64url");
}

export function decodeCursor(token: string): ActivityCursor {
  const match = /^(\d{1,16})\.(\d{1,16})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (match === null) throw new AcsError("InvalidQueryParameter", "continuationToken is not valid.", { target: "continuationToken" });
  return { time: Number(match[1]), id: Number(match[2]) };
}

/**
 * GET /activity: one identity's activity record, newest first, paged with nextLink (ACS paging shape).
 * Management auth (access key, or an Entra role granting `…/activity/read`).
 */
export function activityRoutes(repository: ActivityRepository): RouteSpec[] {
  return [
    defineRoute({
      operation: "activity.read",
      method: "GET",
      url: "/activity",
      auth: "management",
      async handle(ctx) {
        const identity = single(ctx, "identity");
        if (identity === undefined || identity.length > 512) {
          throw new AcsError("InvalidQueryParameter", "identity is required (a communication identifier).", { target: "identity" });
        }
        const from = parseTime(single(ctx, "from"), "from");
        const to = parseTime(single(ctx, "to"), "to");
        const operation = single(ctx, "operation");
        if (operation !== undefined && (operation.length > 128 || !OPERATION_PATTERN.test(operation))) {
          throw new AcsError("InvalidQueryParameter", "operation must be an operation name, optionally ending in .* (e.g. chat.*).", {
            target: "operation",
          });
        }
        const sizeText = single(ctx, "maxPageSize");
        const size = sizeText === undefined ? DEFAULT_PAGE_SIZE : Number(sizeText);
        if (!/^\d+$/.test(sizeText ?? "1") || !Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
          throw new AcsError("InvalidQueryParameter", `maxPageSize must be an integer from 1 to ${MAX_PAGE_SIZE}.`, { target: "maxPageSize" });
        }
        const token = single(ctx, "continuationToken");
        const after = token === undefined ? undefined : decodeCursor(token);

        const page = await repository.query({
          identity,
          resourceId: ctx.resource.id,
          limit: size,
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
          ...(operation !== undefined ? { operation } : {}),
          ...(after !== undefined ? { after } : {}),
        });
        const body: { value: unknown[]; nextLink?: string } = { value: page.events };
        if (page.next !== undefined) {
          body.nextLink = pageLink(ctx, "/activity", {
            identity,
            from: single(ctx, "from"),
            to: single(ctx, "to"),
            operation: single(ctx, "operation"),
            maxPageSize: single(ctx, "maxPageSize"),
            continuationToken: encodeCursor(page.next),
          });
        }
        return { status: 200, body };
      },
    }),
  ];
}
