import type { Kysely } from "kysely";
import type { MigrationContext } from "./migration-context.js";

/** The default resource group of resources that existed before the management plane (and of the dev resource). */
export const LEGACY_RESOURCE_GROUP = "switchboard-dev";

/**
 * The management plane (docs/management.md): resources gain their ARM facts (resource group, data location, tags,
 * linked domains, a local port, update time); the server's one subscription id; ARM long-running operations.
 */
export function managementMigration(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      const columns: Array<[string, "text" | "integer" | "bigint", string | undefined]> = [
        ["resource_group", "text", LEGACY_RESOURCE_GROUP],
        ["data_location", "text", "United States"],
        ["tags", "text", "{}"],
        ["linked_domains", "text", "[]"],
        ["notification_hub", "text", undefined],
        ["port", "integer", undefined],
        ["updated_at", "bigint", undefined],
      ];
      for (const [name, type, def] of columns) {
        await db.schema
          .alterTable("resources")
          .addColumn(name, type, (c) => (def === undefined ? c : c.notNull().defaultTo(def)))
          .execute();
      }
      await db.schema
        .createTable("management_settings")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("arm_operations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("target", "text", (c) => c.notNull())
        .addColumn("started_at", "bigint", (c) => c.notNull())
        .addColumn("ends_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("resources_group_idx").on("resources").column("resource_group").execute();
    },
  };
}
