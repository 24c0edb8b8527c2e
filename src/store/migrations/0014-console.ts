import type { Kysely } from "kysely";
import type { MigrationContext } from "./migration-context.js";

/** The operator console (issue 18): one-time sign-in links and console sessions, both stored as SHA-256 only;
 * `user_object_id` names the built-in user a session acts as (RBAC by its role assignments), null for the Owner operator. */
export function consoleMigration(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("console_links")
        .addColumn("token_hash", "text", (c) => c.primaryKey())
        .addColumn("operator", "text", (c) => c.notNull())
        .addColumn("user_object_id", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .execute();
      await db.schema
        .createTable("console_sessions")
        .addColumn("id_hash", "text", (c) => c.primaryKey())
        .addColumn("operator", "text", (c) => c.notNull())
        .addColumn("user_object_id", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("ended_at", "bigint")
        .execute();
      // The Identities page pages by id within a resource (keyset) and searches by id prefix: one composite index
      // serves both at a million rows, and every query the single-column index served, so it replaces it.
      await db.schema.createIndex("identities_resource_id_idx").on("identities").columns(["resource_id", "id"]).execute();
      await db.schema.dropIndex("identities_resource_idx").execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex("identities_resource_idx").on("identities").column("resource_id").execute();
      await db.schema.dropIndex("identities_resource_id_idx").execute();
      await db.schema.dropTable("console_sessions").execute();
      await db.schema.dropTable("console_links").execute();
    },
  };
}
