import type { Kysely } from "kysely";
import type { MigrationContext } from "./migration-context.js";

/**
 * Calls survive the replica that holds them going away (issue 19, docs/realtime.md): every server process keeps a
 * heartbeat row in `realtime_replicas` (times from the database's own clock), and a live call names the replica
 * holding it in `calls.home_replica` (null once the call ended). Survivors close the calls of a replica whose
 * heartbeat went stale. The index serves "the open calls" (home_replica is null for every ended call).
 */
export function replicasMigration(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("realtime_replicas")
        .addColumn("replica", "text", (c) => c.primaryKey())
        .addColumn("started_at", "bigint", (c) => c.notNull())
        .addColumn("seen_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.alterTable("calls").addColumn("home_replica", "text").execute();
      await db.schema.createIndex("calls_home_replica_idx").on("calls").column("home_replica").execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex("calls_home_replica_idx").execute();
      await db.schema.alterTable("calls").dropColumn("home_replica").execute();
      await db.schema.dropTable("realtime_replicas").execute();
    },
  };
}
