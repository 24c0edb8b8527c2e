import type { Insertable, Kysely, Selectable, Updateable } from "kysely";
import { PrecompiledQuery } from "../store/precompiled-query.js";
import type { Database } from "../store/schema.js";
import type { Store } from "../store/store.js";
import type { EventDeliveriesTable, EventSubscriptionsTable } from "./events-tables.js";

type Db = Kysely<Database>;
export type EventSubscriptionRow = Selectable<EventSubscriptionsTable>;
export type EventDeliveryRow = Selectable<EventDeliveriesTable>;
export type NewEventDelivery = Insertable<EventDeliveriesTable>;

/**
 * Storage of event subscriptions and the event outbox (one `event_deliveries` row per event and subscription).
 * Methods taking `db` join the caller's write: outbox rows are written in the transaction of the change that raises
 * them. The others read, or write in their own transaction.
 */
export class EventsRepository {
  constructor(private readonly store: Store) {}

  // --- subscriptions ---

  async insertSubscription(row: EventSubscriptionRow): Promise<void> {
    await this.store.write((trx) => trx.insertInto("event_subscriptions").values(row).execute());
  }

  /** The outcome of the webhook handshake: `active`, or `failed` with why. */
  async setSubscriptionStatus(id: string, change: { status: string; status_detail: string | null }): Promise<void> {
    await this.store.write((trx) => trx.updateTable("event_subscriptions").set(change).where("id", "=", id).execute());
  }

  async findSubscription(id: string): Promise<EventSubscriptionRow | undefined> {
    return this.store.db.selectFrom("event_subscriptions").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** The subscriptions of a resource, oldest first. */
  async listSubscriptions(resourceId: string): Promise<EventSubscriptionRow[]> {
    return this.store.db.selectFrom("event_subscriptions").selectAll().where("resource_id", "=", resourceId).orderBy("created_at").orderBy("id").execute();
  }

  /** Deletes the resource's subscription and everything queued or dead-lettered for it; how many subscriptions went (0 or 1). */
  async deleteSubscription(resourceId: string, id: string): Promise<number> {
    return this.store.write(async (trx) => {
      const r = await trx.deleteFrom("event_subscriptions").where("id", "=", id).where("resource_id", "=", resourceId).executeTakeFirst();
      await trx.deleteFrom("event_deliveries").where("subscription_id", "=", id).execute();
      return Number(r.numDeletedRows);
    });
  }

  /** Where and how to deliver for each of these subscriptions (a deleted one is absent). */
  async deliveryTargets(ids: string[]): Promise<Array<Pick<EventSubscriptionRow, "id" | "endpoint" | "schema">>> {
    return this.store.db.selectFrom("event_subscriptions").select(["id", "endpoint", "schema"]).where("id", "in", ids).execute();
  }

  // --- the outbox ---

  /**
   * Claims up to `limit` due rows (pending, next attempt reached, no live claim), the lowest ids first, until
   * `leaseUntil`, and returns them (in no defined order: UPDATE … RETURNING on PostgreSQL gives none). On PostgreSQL the candidate rows are locked `FOR UPDATE SKIP LOCKED`, so concurrent claimers (other
   * replicas) never get the same row; on SQLite the claim is one serialized write.
   */
  async claimDue(now: number, leaseUntil: number, limit: number): Promise<EventDeliveryRow[]> {
    const postgres = this.store.dialect === "postgres";
    return this.store.write((trx) =>
      trx
        .updateTable("event_deliveries")
        .set({ claimed_until: leaseUntil })
        .where("id", "in", (qb) =>
          qb
            .selectFrom("event_deliveries")
            .select("id")
            .where("status", "=", "pending")
            .where("next_attempt_at", "<=", now)
            .where((eb) => eb.or([eb("claimed_until", "is", null), eb("claimed_until", "<", now)]))
            .orderBy("id")
            .limit(limit)
            .$if(postgres, (q) => q.forUpdate().skipLocked()),
        )
        .returningAll()
        .execute(),
    );
  }

  /** Removes delivered rows. */
  async deleteDeliveries(ids: number[]): Promise<void> {
    await this.store.write((trx) => trx.deleteFrom("event_deliveries").where("id", "in", ids).execute());
  }

  /** Records failed attempts, one change per row (rescheduled, or dead-lettered), in one transaction. */
  async updateDeliveries(changes: Array<{ id: number; set: Updateable<EventDeliveriesTable> }>): Promise<void> {
    await this.store.write(async (trx) => {
      for (const c of changes) await trx.updateTable("event_deliveries").set(c.set).where("id", "=", c.id).execute();
    });
  }

  /** Dead-lettered rows of a resource, newest first. */
  async listDead(resourceId: string, limit: number): Promise<EventDeliveryRow[]> {
    return this.store.db
      .selectFrom("event_deliveries")
      .selectAll()
      .where("resource_id", "=", resourceId)
      .where("status", "=", "dead")
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
  }
}

const ACTIVE_SUBSCRIPTIONS = new PrecompiledQuery(1, (db, resourceId: string) =>
  db.selectFrom("event_subscriptions").select(["id", "schema", "types"]).where("resource_id", "=", resourceId).where("status", "=", "active"),
);

/**
 * The write side of the event outbox, always inside the transaction of the change that raises the events (the caller's
 * `db`): which subscriptions want events, and the delivery rows. Needs no store of its own.
 */
export class EventOutboxRepository {
  /** The active subscriptions of a resource, read through the caller's transaction (every chat message, SMS, e-mail asks). */
  async activeSubscriptions(db: Db, resourceId: string): Promise<Array<Pick<EventSubscriptionRow, "id" | "schema" | "types">>> {
    return (await ACTIVE_SUBSCRIPTIONS.execute(db, resourceId)).rows;
  }

  /** Queues delivery rows in the caller's transaction (in chunks of 200 rows per statement). */
  async insertDeliveries(db: Db, rows: NewEventDelivery[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) await db.insertInto("event_deliveries").values(rows.slice(i, i + 200)).execute();
  }
}
