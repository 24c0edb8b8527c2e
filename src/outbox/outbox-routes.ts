import { AcsError } from "../errors/acs-errors.js";
import { defineRoute, type RouteSpec } from "../http/route.js";
import type { OutboxKind, OutboxRepository } from "./outbox-repository.js";
import { firstQuery, pageLink, pageParams } from "../http/query.js";

function kindOf(raw: string | undefined): OutboxKind | undefined {
  if (raw === undefined) return undefined;
  if (raw !== "sms" && raw !== "email") throw new AcsError("InvalidRequestBody", "kind must be sms or email.");
  return raw;
}

/**
 * The outbox API (Switchboard's own, no ACS equivalent): what this resource "sent", newest first, so a test can
 * assert what an application sent. Authenticated like the messaging APIs; api-version is optional.
 */
export function outboxRoutes(outbox: OutboxRepository): RouteSpec[] {
  return [
    defineRoute({
      operation: "outbox.list",
      method: "GET",
      url: "/outbox",
      auth: "management",
      requireApiVersion: false,
      async handle(ctx) {
        const kind = kindOf(firstQuery(ctx.query, "kind"));
        const { skip, size } = pageParams(ctx.query, "maxPageSize", 100);
        const rows = await outbox.list({ resourceId: ctx.resource.id, kind, skip, limit: size + 1 });
        const body: Record<string, unknown> = { value: rows.slice(0, size) };
        if (rows.length > size) body.nextLink = pageLink(ctx, "/outbox", { kind, skip: skip + size, maxPageSize: size });
        return { status: 200, body };
      },
    }),
    defineRoute({
      operation: "outbox.get",
      method: "GET",
      url: "/outbox/:id",
      auth: "management",
      requireApiVersion: false,
      async handle(ctx) {
        const found = await outbox.get(ctx.params.id!, ctx.resource.id);
        if (found === undefined) throw new AcsError("OutboxMessageNotFound");
        ctx.annotate({ outboxMessageId: found.id });
        return { status: 200, body: found };
      },
    }),
    defineRoute({
      operation: "outbox.clear",
      method: "DELETE",
      url: "/outbox",
      auth: "management",
      requireApiVersion: false,
      async handle(ctx) {
        const deleted = await outbox.clear(ctx.resource.id, kindOf(firstQuery(ctx.query, "kind")));
        ctx.annotate({ deleted });
        return { status: 204 };
      },
    }),
  ];
}
