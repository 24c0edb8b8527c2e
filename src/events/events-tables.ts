import type { Generated } from "kysely";

/** Event subscriptions and the event outbox (migration 0013-events). Timestamps are epoch milliseconds. */
export interface EventSubscriptionsTable {
  id: string;
  resource_id: string;
  endpoint: string;
  /** eventgrid | cloudevents */
  schema: string;
  /** JSON array of event types, or null for every type. */
  types: string | null;
  /** pending (handshake not passed yet) | active | failed (handshake failed) */
  status: string;
  status_detail: string | null;
  created_at: number;
}

/**
 * One event for one subscription, written in the transaction of the change that raised it; deleted once delivered.
 * A row whose attempts ran out stays as `dead` (dead-lettered) until the subscription is deleted.
 */
export interface EventDeliveriesTable {
  id: Generated<number>;
  subscription_id: string;
  resource_id: string;
  event_id: string;
  event_type: string;
  /** The event as the subscription's schema puts it on the wire (JSON object). */
  body: string;
  /** pending | dead */
  status: string;
  attempts: number;
  next_attempt_at: number;
  /** A worker owns the row until then (a crashed worker's claim runs out and another one retries). */
  claimed_until: number | null;
  last_error: string | null;
  created_at: number;
  dead_at: number | null;
}

export interface EventsTables {
  event_subscriptions: EventSubscriptionsTable;
  event_deliveries: EventDeliveriesTable;
}
