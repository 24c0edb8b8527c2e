import type { Kysely } from "kysely";
import type { MigrationContext } from "./migration-context.js";

/** Phone numbers (inventory state, searches, reservations, operations), SMS, e-mail and the outbox. */
export function messagingMigration(ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("phone_numbers")
        .addColumn("phone_number", "text", (c) => c.primaryKey())
        .addColumn("resource_id", "text", (c) => c.notNull().references("resources.id"))
        .addColumn("country_code", "text", (c) => c.notNull())
        .addColumn("phone_number_type", "text", (c) => c.notNull())
        .addColumn("assignment_type", "text", (c) => c.notNull())
        .addColumn("calling", "text", (c) => c.notNull())
        .addColumn("sms", "text", (c) => c.notNull())
        .addColumn("cost_amount", "double precision", (c) => c.notNull())
        .addColumn("cost_currency", "text", (c) => c.notNull())
        .addColumn("purchased_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("phone_numbers_resource_idx").on("phone_numbers").columns(["resource_id", "phone_number"]).execute();

      await db.schema
        .createTable("phone_number_holds")
        .addColumn("phone_number", "text", (c) => c.primaryKey())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("holder_kind", "text", (c) => c.notNull())
        .addColumn("holder_id", "text", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("phone_number_holds_holder_idx").on("phone_number_holds").column("holder_id").execute();

      await db.schema
        .createTable("phone_number_searches")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("country_code", "text", (c) => c.notNull())
        .addColumn("phone_number_type", "text", (c) => c.notNull())
        .addColumn("assignment_type", "text", (c) => c.notNull())
        .addColumn("calling", "text", (c) => c.notNull())
        .addColumn("sms", "text", (c) => c.notNull())
        .addColumn("phone_numbers", "text", (c) => c.notNull())
        .addColumn("cost_amount", "double precision", (c) => c.notNull())
        .addColumn("cost_currency", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("purchased_at", "bigint")
        .execute();

      await db.schema
        .createTable("phone_number_reservations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("phone_numbers", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("phone_number_operations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("operation_type", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("resource_location", "text")
        .addColumn("error_code", "text")
        .addColumn("error_message", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("last_action_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("sms_messages")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("repeatability_request_id", "text")
        .addColumn("from_number", "text", (c) => c.notNull())
        .addColumn("to_number", "text", (c) => c.notNull())
        .addColumn("delivery_status", "text", (c) => c.notNull())
        .addColumn("segments", "integer", (c) => c.notNull())
        .addColumn("tag", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("sms_messages_repeatability_idx")
        .on("sms_messages")
        .columns(["resource_id", "repeatability_request_id"])
        .unique()
        .execute();

      await db.schema
        .createTable("sms_opt_outs")
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("from_number", "text", (c) => c.notNull())
        .addColumn("to_number", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("sms_opt_outs_pk", ["resource_id", "from_number", "to_number"])
        .execute();

      await db.schema
        .createTable("sms_webhooks")
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("url", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("sms_webhooks_pk", ["resource_id", "url"])
        .execute();

      await db.schema
        .createTable("email_domains")
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("domain", "text", (c) => c.notNull())
        .addColumn("sender_usernames", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("email_domains_pk", ["resource_id", "domain"])
        .execute();

      await db.schema
        .createTable("email_operations")
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("error_code", "text")
        .addColumn("error_message", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("email_operations_pk", ["resource_id", "id"])
        .execute();

      // `id` is the insertion order (newest first = highest id); message_id is the SMS message id or e-mail operation id.
      await ctx
        .createTableWithAutoId(db, "outbox_messages")
        .addColumn("message_id", "text", (c) => c.notNull())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("principal", "text", (c) => c.notNull())
        .addColumn("from_address", "text", (c) => c.notNull())
        .addColumn("to_addresses", "text", (c) => c.notNull())
        .addColumn("subject", "text")
        .addColumn("text", "text")
        .addColumn("html", "text")
        .addColumn("details", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("outbox_messages_message_idx").on("outbox_messages").columns(["resource_id", "message_id"]).unique().execute();
      await db.schema.createIndex("outbox_messages_kind_idx").on("outbox_messages").columns(["resource_id", "kind", "id"]).execute();
    },
  };
}
