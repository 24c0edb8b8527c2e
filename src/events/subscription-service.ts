import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { newId } from "../util/crypto.js";
import { checkEndpoint } from "./endpoint-policy.js";
import type { EventSchema } from "./event-envelope.js";
import { EventsInputError } from "./events-error.js";
import { EventsRepository } from "./events-repository.js";
import { webhookHandshake } from "./webhook-handshake.js";

export interface SubscriptionView {
  id: string;
  resourceId: string;
  endpoint: string;
  schema: EventSchema;
  /** undefined: every event type. */
  types?: string[];
  status: "pending" | "active" | "failed";
  statusDetail?: string;
  createdAt: string;
}

export interface FailureView {
  id: number;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  deadAt: string;
  event: unknown;
}

/** Event subscriptions of resources: created pending, activated by the webhook handshake, deleted with their queue. */
export class SubscriptionService {
  private readonly repository: EventsRepository;

  constructor(
    store: Store,
    private readonly clock: Clock,
    private readonly options: { allowedHosts: readonly string[]; timeoutMs: number },
  ) {
    this.repository = new EventsRepository(store);
  }

  async subscribe(
    resource: { id: string; name: string },
    request: { endpoint: string; types?: string[] | undefined; schema?: string | undefined },
  ): Promise<SubscriptionView> {
    const schema = request.schema ?? "eventgrid";
    if (schema !== "eventgrid" && schema !== "cloudevents") throw new EventsInputError("InvalidEventSchema", "The schema must be eventgrid or cloudevents.");
    const endpoint = checkEndpoint(request.endpoint, this.options.allowedHosts);
    const types = request.types?.map((t) => t.trim()).filter((t) => t !== "");
    const id = newId();
    const now = this.clock.now();
    await this.repository.insertSubscription({
      id,
      resource_id: resource.id,
      endpoint,
      schema,
      types: types === undefined || types.length === 0 ? null : JSON.stringify(types),
      status: "pending",
      status_detail: null,
      created_at: now,
    });
    const result = await webhookHandshake(schema, endpoint, resource, { now, timeoutMs: this.options.timeoutMs });
    await this.repository.setSubscriptionStatus(id, result.ok ? { status: "active", status_detail: null } : { status: "failed", status_detail: result.detail });
    return (await this.get(id))!;
  }

  async get(id: string): Promise<SubscriptionView | undefined> {
    const row = await this.repository.findSubscription(id);
    return row === undefined ? undefined : toView(row);
  }

  async list(resourceId: string): Promise<SubscriptionView[]> {
    const rows = await this.repository.listSubscriptions(resourceId);
    return rows.map(toView);
  }

  /** Deletes the subscription and everything queued or dead-lettered for it. */
  async delete(resourceId: string, id: string): Promise<void> {
    const deleted = await this.repository.deleteSubscription(resourceId, id);
    if (deleted === 0) throw new EventsInputError("SubscriptionNotFound", `No event subscription '${id}' on this resource.`);
  }

  /** Dead-lettered events of a resource, newest first. */
  async failures(resourceId: string, limit = 100): Promise<FailureView[]> {
    const rows = await this.repository.listDead(resourceId, limit);
    return rows.map((r) => ({
      id: Number(r.id),
      subscriptionId: r.subscription_id,
      eventId: r.event_id,
      eventType: r.event_type,
      attempts: Number(r.attempts),
      lastError: r.last_error,
      createdAt: new Date(Number(r.created_at)).toISOString(),
      deadAt: new Date(Number(r.dead_at)).toISOString(),
      event: JSON.parse(r.body) as unknown,
    }));
  }
}

function toView(row: {
  id: string;
  resource_id: string;
  endpoint: string;
  schema: string;
  types: string | null;
  status: string;
  status_detail: string | null;
  created_at: number;
}): SubscriptionView {
  return {
    id: row.id,
    resourceId: row.resource_id,
    endpoint: row.endpoint,
    schema: row.schema === "cloudevents" ? "cloudevents" : "eventgrid",
    ...(row.types !== null ? { types: JSON.parse(row.types) as string[] } : {}),
    status: row.status as SubscriptionView["status"],
    ...(row.status_detail !== null ? { statusDetail: row.status_detail } : {}),
    createdAt: new Date(Number(row.created_at)).toISOString(),
  };
}
