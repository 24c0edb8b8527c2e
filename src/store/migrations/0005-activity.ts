import type { Kysely } from "kysely";
import type { MigrationContext } from "./migration-context.js";

/** The activity record (src/activity/activity-tables.ts). */
export function activityMigration(ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await ctx
        .createTableWithAutoId(db, "activity_events")
        .addColumn("identity", "text", (c) => c.notNull())
        .addColumn("bucket", "integer", (c) => c.notNull())
        .addColumn("event_id", "text", (c) => c.notNull())
        .addColumn("time", "bigint", (c) => c.notNull())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("operation", "text", (c) => c.notNull())
        .addColumn("status", "integer")
        .addColumn("error_code", "text")
        .addColumn("principal", "text")
        .addColumn("subjects", "text", (c) => c.notNull())
        .addColumn("fields", "text")
        .execute();
      // The query: one identity's bucket, newest first, filtered by identity inside the index (activity-bucket.ts).
      // Retention walks the primary key (ids grow with time), so there is no time index.
      await db.schema
        .createIndex("activity_events_bucket_time_idx")
        .on("activity_events")
        .columns(["bucket", "time", "id", "identity"])
        .execute();
    },
  };
}
