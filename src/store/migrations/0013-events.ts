import type { Kysely } from "kysely";
import type { MigrationContext } from "./migration-context.js";

/** Event Grid subscriptions and the event outbox (src/events/events-tables.ts). */
export function eventsMigration(ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("event_subscriptions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("endpoint", "text", (c) => c.notNull())
        .addColumn("schema", "text", (c) => c.notNull())
        .addColumn("types", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("status_detail", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("event_subscriptions_resource_idx").on("event_subscriptions").columns(["resource_id", "status"]).execute();
      await ctx
        .createTableWithAutoId(db, "event_deliveries")
        .addColumn("subscription_id", "text", (c) => c.notNull())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("event_id", "text", (c) => c.notNull())
        .addColumn("event_type", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
        .addColumn("claimed_until", "bigint")
        .addColumn("last_error", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("dead_at", "bigint")
        .execute();
      await db.schema.createIndex("event_deliveries_due_idx").on("event_deliveries").columns(["status", "next_attempt_at"]).execute();
      await db.schema.createIndex("event_deliveries_subscription_idx").on("event_deliveries").column("subscription_id").execute();
    },
  };
}
