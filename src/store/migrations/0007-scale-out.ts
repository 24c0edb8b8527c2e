import { sql, type Kysely } from "kysely";
import type { MigrationContext } from "./migration-context.js";

/**
 * Invariants that replicas starting at once must not be able to break: at most one active (unretired) signing key.
 * Should an older database already hold several, all but the newest are retired first.
 */
export function scaleOutMigration(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`update signing_keys set retired_at = created_at
        where retired_at is null
          and kid <> (select kid from signing_keys where retired_at is null order by created_at desc, kid limit 1)`.execute(db);
      await db.schema
        .createIndex("signing_keys_one_active")
        .on("signing_keys")
        .column("alg")
        .unique()
        .where(sql.ref("retired_at"), "is", null)
        .execute();
      await db.schema.createIndex("change_events_created_idx").on("change_events").column("created_at").execute();
    },
  };
}
