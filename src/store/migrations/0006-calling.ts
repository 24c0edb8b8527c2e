import type { Kysely } from "kysely";
import type { MigrationContext } from "./migration-context.js";

/** Call records: one row per call, one per identity the call involved. */
export function callingMigration(ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("calls")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("caller", "text", (c) => c.notNull())
        .addColumn("video", "integer", (c) => c.notNull())
        .addColumn("started_at", "bigint", (c) => c.notNull())
        .addColumn("answered_at", "bigint")
        .addColumn("ended_at", "bigint")
        .addColumn("end_reason", "text")
        .addColumn("duration_ms", "bigint")
        .execute();
      await db.schema.createIndex("calls_resource_started_idx").on("calls").columns(["resource_id", "started_at"]).execute();

      await ctx
        .createTableWithAutoId(db, "call_participants")
        .addColumn("call_id", "text", (c) => c.notNull().references("calls.id"))
        .addColumn("identity", "text", (c) => c.notNull())
        .addColumn("role", "text", (c) => c.notNull())
        .addColumn("invited_at", "bigint")
        .addColumn("joined_at", "bigint")
        .addColumn("left_at", "bigint")
        .addColumn("outcome", "text", (c) => c.notNull())
        .addColumn("leave_reason", "text")
        .execute();
      await db.schema.createIndex("call_participants_call_idx").on("call_participants").column("call_id").execute();
      await db.schema.createIndex("call_participants_identity_idx").on("call_participants").column("identity").execute();
    },
  };
}
