import { z } from "zod";
import { isAcsIdentityOf } from "../identity/identity-id.js";
import { AcsError } from "../errors/acs-errors.js";
import { defineRoute, type RouteSpec } from "../http/route.js";
import { deliveryReportProblem } from "./delivery-report-problem.js";
import type { SmsService } from "./sms-service.js";

/** The longest message ACS accepts (SendMessageRequest.message). */
export const MAX_MESSAGE_LENGTH = 2048;
export const MAX_RECIPIENTS = 100;

const sendBody = z.object({
  from: z.string().min(1).max(32),
  smsRecipients: z
    .array(
      z.object({
        to: z.string().max(64),
        repeatabilityRequestId: z.string().min(1).max(100).optional(),
        repeatabilityFirstSent: z.string().max(100).optional(),
      }),
    )
    .min(1),
  message: z.string(),
  smsSendOptions: z
    .object({
      enableDeliveryReport: z.boolean().optional(),
      tag: z.string().max(1000).optional(),
      deliveryReportTimeoutInSeconds: z.number().int().min(60).max(43_200).optional(),
    })
    .optional(),
});

const optOutBody = z.object({
  from: z.string().min(1).max(32),
  recipients: z.array(z.object({ to: z.string().max(64) })).min(1).max(MAX_RECIPIENTS),
});

/** SMS as `@azure/communication-sms` sends it (docs/wire-reference.md §4), plus opt-outs and delivery reports (docs/wire-reference.md §C2). */
export function smsRoutes(sms: SmsService): RouteSpec[] {
  const optOutRoute = (action: "add" | "remove" | "check") =>
    defineRoute({
      operation: `sms.optOuts.${action}`,
      method: "POST",
      url: `/sms/optouts::${action}`,
      auth: "management",
      body: optOutBody,
      async handle(ctx) {
        const value = await sms.optOut(ctx.resource, action, ctx.body.from, ctx.body.recipients);
        ctx.annotate({ from: ctx.body.from, recipients: value.length });
        return { status: 200, body: { value } };
      },
    });

  return [
    defineRoute({
      operation: "sms.send",
      method: "POST",
      url: "/sms",
      auth: "management",
      body: sendBody,
      async handle(ctx) {
        if (ctx.body.message.length > MAX_MESSAGE_LENGTH) throw new AcsError("MessageTooLong");
        if (ctx.body.smsRecipients.length > MAX_RECIPIENTS) throw new AcsError("TooManyRecipients", `At most ${MAX_RECIPIENTS} recipients per request.`);
        const value = await sms.send(ctx.resource, ctx.principal!, ctx.body);
        const ids = value.filter((v) => v.successful && v.messageId !== undefined).map((v) => v.messageId!);
        // A message sent on behalf of a communication user names it in its tag: the activity record files it there.
        const tag = ctx.body.smsSendOptions?.tag;
        const onBehalfOf = tag !== undefined && isAcsIdentityOf(tag, ctx.resource.id) ? [tag] : [];
        ctx.setSubject([...onBehalfOf, ...ctx.body.smsRecipients.map((r) => r.to)].slice(0, 100));
        ctx.annotate({ from: ctx.body.from, smsMessageId: ids, accepted: ids.length, rejected: value.length - ids.length });
        return { status: 202, body: { value } };
      },
    }),
    optOutRoute("add"),
    optOutRoute("remove"),
    optOutRoute("check"),
    defineRoute({
      operation: "sms.getDeliveryReport",
      method: "GET",
      url: "/deliveryReports/:outgoingMessageId",
      auth: "management",
      async handle(ctx) {
        ctx.annotate({ smsMessageId: ctx.params.outgoingMessageId! });
        try {
          return { status: 200, body: await sms.deliveryReport(ctx.resource, ctx.params.outgoingMessageId!) };
        } catch (error) {
          return deliveryReportProblem(error, ctx.requestId);
        }
      },
    }),
  ];
}
