import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import type { Clock } from "../util/clock.js";
import { envelope, newEventId, type AcsEvent, type EventSchema } from "./event-envelope.js";
import { EventOutboxRepository } from "./events-repository.js";

export interface EventResource {
  id: string;
  name: string;
}

/**
 * The outbox side of events: `record` is called inside the transaction of the change that raises the events and
 * writes one delivery row per (event, active subscription of the resource that wants its type). The rows commit or
 * roll back with the change, so no event is announced for a change that did not happen and none is lost at a crash.
 */
export class EventRecorder {
  private readonly outbox = new EventOutboxRepository();
  private afterRecord: ((db: Kysely<Database>) => Promise<void>) | undefined;

  constructor(private readonly clock: Clock) {}

  /** Runs in the recording transaction whenever rows were written (events-module.ts: wakes the delivery worker). */
  onRecorded(hook: (db: Kysely<Database>) => Promise<void>): void {
    this.afterRecord = hook;
  }

  /** Whether any active subscription of the resource wants one of these types (lets callers skip building events). */
  async wants(db: Kysely<Database>, resourceId: string, types: readonly string[]): Promise<boolean> {
    const subs = await this.activeSubscriptions(db, resourceId);
    return subs.some((s) => types.some((t) => s.types === undefined || s.types.has(t)));
  }

  async record(db: Kysely<Database>, resource: EventResource, events: readonly AcsEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const subs = await this.activeSubscriptions(db, resource.id);
    if (subs.length === 0) return 0;
    const now = this.clock.now();
    const rows = [];
    for (const event of events) {
      // One id per event: a subscriber with two subscriptions sees the same event id twice, as with Event Grid.
      const id = newEventId();
      for (const s of subs) {
        if (s.types !== undefined && !s.types.has(event.eventType)) continue;
        rows.push({
          subscription_id: s.id,
          resource_id: resource.id,
          event_id: id,
          event_type: event.eventType,
          body: JSON.stringify(envelope(s.schema, resource, event, id, now)),
          status: "pending",
          attempts: 0,
          next_attempt_at: now,
          claimed_until: null,
          last_error: null,
          created_at: now,
          dead_at: null,
        });
      }
    }
    await this.outbox.insertDeliveries(db, rows);
    if (rows.length > 0) await this.afterRecord?.(db);
    return rows.length;
  }

  private async activeSubscriptions(db: Kysely<Database>, resourceId: string): Promise<Array<{ id: string; schema: EventSchema; types: Set<string> | undefined }>> {
    const rows = await this.outbox.activeSubscriptions(db, resourceId);
    return rows.map((r) => ({
      id: r.id,
      schema: r.schema === "cloudevents" ? "cloudevents" : "eventgrid",
      types: r.types === null ? undefined : new Set(JSON.parse(r.types) as string[]),
    }));
  }
}
