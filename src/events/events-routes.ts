import { z } from "zod";
import { AcsError } from "../errors/acs-errors.js";
import { defineRoute, type RouteSpec } from "../http/route.js";
import type { Events } from "./events-module.js";
import { EventsInputError } from "./events-error.js";

const subscribeBody = z.object({
  endpoint: z.string().min(1).max(2048),
  types: z.array(z.string().min(1).max(200)).max(100).optional(),
  schema: z.enum(["eventgrid", "cloudevents"]).optional(),
});

/** EventsInputError as the ACS error envelope: 404 for an unknown subscription, 400 otherwise. */
async function asAcs<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof EventsInputError) throw new AcsError(err.code === "SubscriptionNotFound" ? "NotFound" : "InvalidRequestBody", err.message);
    throw err;
  }
}

/**
 * Event subscriptions of the resource (Switchboard's own API; in Azure they are Event Grid resources):
 * `POST /events/subscriptions` runs the webhook handshake before answering `{id, status}`.
 * Authenticated like the messaging APIs (access key or Entra ID); api-version is optional.
 */
export function eventsRoutes(events: Events): RouteSpec[] {
  return [
    defineRoute({
      operation: "events.subscriptions.create",
      method: "POST",
      url: "/events/subscriptions",
      auth: "management",
      requireApiVersion: false,
      body: subscribeBody,
      async handle(ctx) {
        const sub = await asAcs(() => events.subscriptions.subscribe(ctx.resource, ctx.body));
        ctx.annotate({ subscriptionId: sub.id, status: sub.status });
        return { status: 201, body: sub };
      },
    }),
    defineRoute({
      operation: "events.subscriptions.list",
      method: "GET",
      url: "/events/subscriptions",
      auth: "management",
      requireApiVersion: false,
      async handle(ctx) {
        return { status: 200, body: { value: await events.subscriptions.list(ctx.resource.id) } };
      },
    }),
    defineRoute({
      operation: "events.subscriptions.delete",
      method: "DELETE",
      url: "/events/subscriptions/:id",
      auth: "management",
      requireApiVersion: false,
      async handle(ctx) {
        await asAcs(() => events.subscriptions.delete(ctx.resource.id, ctx.params.id!));
        return { status: 204 };
      },
    }),
    defineRoute({
      operation: "events.failures.list",
      method: "GET",
      url: "/events/failures",
      auth: "management",
      requireApiVersion: false,
      async handle(ctx) {
        return { status: 200, body: { value: await events.subscriptions.failures(ctx.resource.id) } };
      },
    }),
  ];
}
