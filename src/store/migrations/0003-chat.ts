import { sql, type CreateTableBuilder, type Kysely } from "kysely";
import type { MigrationContext } from "./migration-context.js";

/**
 * Chat threads, participants, messages and read receipts. The unique index on (resource, creator,
 * repeatability id) is what makes thread creation idempotent under concurrent retries, on both backends.
 */
export function chatMigration(ctx: MigrationContext) {
  // SQLite: tables keyed by a composite primary key are stored clustered on it (one B-tree instead of two).
  const clustered = <T extends string, C extends string>(builder: CreateTableBuilder<T, C>) =>
    ctx.dialect === "sqlite" ? builder.modifyEnd(sql`without rowid`) : builder;

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("chat_threads")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("resource_id", "text", (c) => c.notNull().references("resources.id"))
        .addColumn("topic", "text", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("deleted_at", "bigint")
        .addColumn("metadata", "text")
        .addColumn("retention_policy", "text")
        .addColumn("last_sequence_id", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("last_message_id", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("last_message_at", "bigint")
        .addColumn("repeatability_id", "text")
        .execute();
      await db.schema
        .createIndex("chat_threads_repeatability_uq")
        .on("chat_threads")
        .columns(["resource_id", "created_by", "repeatability_id"])
        .unique()
        .execute();

      await db.schema
        .createTable("chat_participants")
        .addColumn("thread_id", "text", (c) => c.notNull().references("chat_threads.id"))
        .addColumn("raw_id", "text", (c) => c.notNull())
        .addColumn("display_name", "text")
        .addColumn("share_history_time", "bigint")
        .addColumn("metadata", "text")
        .addColumn("added_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("chat_participants_pk", ["thread_id", "raw_id"])
        .$call(clustered)
        .execute();
      await db.schema.createIndex("chat_participants_member_idx").on("chat_participants").columns(["raw_id", "thread_id"]).execute();

      await db.schema
        .createTable("chat_messages")
        .addColumn("thread_id", "text", (c) => c.notNull().references("chat_threads.id"))
        .addColumn("id", "bigint", (c) => c.notNull())
        .addColumn("sequence_id", "bigint", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("content", "text")
        .addColumn("system_content", "text")
        .addColumn("sender_raw_id", "text")
        .addColumn("sender_display_name", "text")
        .addColumn("metadata", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("edited_at", "bigint")
        .addColumn("deleted_at", "bigint")
        .addColumn("version", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("chat_messages_pk", ["thread_id", "id"])
        .$call(clustered)
        .execute();

      await db.schema
        .createTable("chat_read_receipts")
        .addColumn("thread_id", "text", (c) => c.notNull().references("chat_threads.id"))
        .addColumn("sender_raw_id", "text", (c) => c.notNull())
        .addColumn("message_id", "bigint", (c) => c.notNull())
        .addColumn("read_on", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("chat_read_receipts_pk", ["thread_id", "sender_raw_id"])
        .$call(clustered)
        .execute();
    },
  };
}
