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
      // E-mail services, their domains and sender user names (ARM emailServices / domains / senderUsernames).
      await db.schema
        .createTable("arm_email_services")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("resource_group", "text", (c) => c.notNull())
        .addColumn("data_location", "text", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("arm_email_domains")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("service_id", "text", (c) => c.notNull().references("arm_email_services.id"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("management", "text", (c) => c.notNull())
        .addColumn("from_sender_domain", "text", (c) => c.notNull())
        .addColumn("verification_code", "text", (c) => c.notNull())
        .addColumn("verified", "integer", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("sender_usernames", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("arm_email_domains_name", ["service_id", "name"])
        .execute();
      await db.schema.createIndex("resources_group_idx").on("resources").column("resource_group").execute();
    },
  };
}
