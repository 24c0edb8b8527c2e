import { z } from "zod";
import { isAcsIdentityOf } from "../identity/identity-id.js";
import { defineRoute, type HandlerContext, type RouteSpec } from "../http/route.js";
import { firstQuery } from "../http/query.js";
import type { EmailService } from "./email-service.js";
import type { EmailOperationsTable } from "./email-tables.js";

const address = z.object({ address: z.string().min(1).max(400), displayName: z.string().max(400).optional() });
const addresses = z.array(address).max(1000);

const sendBody = z.object({
  senderAddress: z.string().min(1).max(400),
  content: z.object({ subject: z.string().min(1).max(998), plainText: z.string().optional(), html: z.string().optional() }),
  recipients: z.object({ to: addresses.optional(), cc: addresses.optional(), bcc: addresses.optional() }),
  attachments: z
    .array(
      z.object({
        name: z.string().min(1).max(255),
        contentType: z.string().min(1).max(255),
        contentInBase64: z.string(),
        contentId: z.string().min(1).max(255).optional(),
      }),
    )
    .max(100)
    .optional(),
  replyTo: addresses.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  userEngagementTrackingDisabled: z.boolean().optional(),
});

/** The custom header that names the communication user a message is sent for (docs/monitoring.md). */
export const ON_BEHALF_OF_HEADER = "x-switchboard-identity";

/** The identity named by the on-behalf-of header (any case), if it is one: the activity record files the send there. */
function onBehalfOf(headers: Record<string, string> | undefined, resourceId: string): string[] {
  for (const name in headers) {
    const value = headers[name]!;
    if (name.toLowerCase() === ON_BEHALF_OF_HEADER && isAcsIdentityOf(value, resourceId)) return [value];
  }
  return [];
}

/** The poller waits this long between polls while an operation runs (seconds). */
const RETRY_AFTER = "1";

function statusBody(op: EmailOperationsTable) {
  return {
    id: op.id,
    status: op.status,
    ...(op.error_code !== null ? { error: { code: op.error_code, message: op.error_message ?? op.error_code } } : {}),
  };
}

function terminal(status: string): boolean {
  return status === "Succeeded" || status === "Failed" || status === "Canceled";
}

function operationLocation(ctx: HandlerContext<unknown>, id: string): string {
  return `${ctx.baseUrl}/emails/operations/${encodeURIComponent(id)}?api-version=${encodeURIComponent(firstQuery(ctx.query, "api-version") ?? "2025-09-01")}`;
}

/** E-mail as `@azure/communication-email` (api-versions 2023-03-31 and 2025-09-01) calls it (docs/wire-reference.md §4). */
export function emailRoutes(email: EmailService): RouteSpec[] {
  return [
    defineRoute({
      operation: "email.send",
      method: "POST",
      url: "/emails::send",
      auth: "management",
      body: sendBody,
      async handle(ctx) {
        const header = ctx.headers["operation-id"];
        const requested = Array.isArray(header) ? header[0] : header;
        const op = await email.send(ctx.resource, ctx.principal!, ctx.body, requested);
        const recipients = [...(ctx.body.recipients.to ?? []), ...(ctx.body.recipients.cc ?? []), ...(ctx.body.recipients.bcc ?? [])];
        ctx.setSubject([...onBehalfOf(ctx.body.headers, ctx.resource.id), ...recipients.map((r) => r.address)].slice(0, 100));
        ctx.annotate({ emailMessageId: op.id, operationId: op.id, sender: ctx.body.senderAddress, apiVersion: firstQuery(ctx.query, "api-version") ?? "" });
        return {
          status: 202,
          body: statusBody(op),
          headers: { "operation-location": operationLocation(ctx, op.id), "retry-after": RETRY_AFTER },
        };
      },
    }),
    defineRoute({
      operation: "email.getSendResult",
      method: "GET",
      url: "/emails/operations/:operationId",
      auth: "management",
      async handle(ctx) {
        const op = await email.get(ctx.resource, ctx.params.operationId!);
        ctx.annotate({ emailMessageId: op.id, operationId: op.id, apiVersion: firstQuery(ctx.query, "api-version") ?? "" });
        return { status: 200, body: statusBody(op), headers: terminal(op.status) ? {} : ({ "retry-after": RETRY_AFTER } as Record<string, string>) };
      },
    }),
  ];
}
