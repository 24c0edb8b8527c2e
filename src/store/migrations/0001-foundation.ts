import type { Kysely } from "kysely";
import type { MigrationContext } from "./migration-context.js";

/** Resources with their access keys, communication identities, token signing keys and the change feed. */
export function foundationMigration(ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("resources")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("hostnames", "text", (c) => c.notNull())
        .addColumn("primary_key", "text", (c) => c.notNull())
        .addColumn("primary_key_id", "text", (c) => c.notNull())
        .addColumn("secondary_key", "text", (c) => c.notNull())
        .addColumn("secondary_key_id", "text", (c) => c.notNull())
        .addColumn("is_default", "integer", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("identities")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("resource_id", "text", (c) => c.notNull().references("resources.id"))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("deleted_at", "bigint")
        .addColumn("token_generation", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("revoked_at", "bigint")
        .execute();
      await db.schema.createIndex("identities_resource_idx").on("identities").column("resource_id").execute();

      await db.schema
        .createTable("signing_keys")
        .addColumn("kid", "text", (c) => c.primaryKey())
        .addColumn("alg", "text", (c) => c.notNull())
        .addColumn("private_pem", "text", (c) => c.notNull())
        .addColumn("public_jwk", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("retired_at", "bigint")
        .execute();

      await ctx
        .createTableWithAutoId(db, "change_events")
        .addColumn("topic", "text", (c) => c.notNull())
        .addColumn("resource_id", "text")
        .addColumn("subject", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
    },
  };
}
