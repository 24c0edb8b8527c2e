import { sql, type Kysely, type Selectable } from "kysely";
import { PrecompiledQuery } from "../store/precompiled-query.js";
import type { Database } from "../store/schema.js";
import type { Store } from "../store/store.js";
import type { ChatMessagesTable, ChatParticipantsTable, ChatThreadsTable } from "./chat-tables.js";

export type ThreadRow = Selectable<ChatThreadsTable>;
export type ParticipantRow = Selectable<ChatParticipantsTable>;
export type MessageRow = Selectable<ChatMessagesTable>;
export type ReadReceiptRow = { sender_raw_id: string; message_id: number; read_on: number };

export interface NewParticipant {
  rawId: string;
  displayName: string | null;
  shareHistoryTime: number | null;
  metadata: string | null;
}

export interface NewMessage {
  type: string;
  content: string | null;
  systemContent: string | null;
  senderRawId: string | null;
  senderDisplayName: string | null;
  metadata: string | null;
}

type Db = Kysely<Database>;

type SlotRow = { last_sequence_id: number; last_message_id: number; created_at: number; retention_policy: string | null };

// The statements of every sendMessage, in raw SQL and compiled once (PrecompiledQuery): building them on every call
// cost more than running them. The slot is taken by one UPDATE of a live thread this sender is a participant of.
const takeSlot = (now: number, threadId: string, resourceId: string, sender: string) => sql`
    update chat_threads
       set last_sequence_id = last_sequence_id + 1,
           last_message_id = case when last_message_id >= cast(${now} as bigint) then last_message_id + 1 else cast(${now} as bigint) end,
           last_message_at = cast(${now} as bigint)
     where id = ${threadId} and resource_id = ${resourceId} and deleted_at is null
       and exists (select 1 from chat_participants p where p.thread_id = ${threadId} and p.raw_id = ${sender})`;
/** PostgreSQL: the UPDATE returns the slot (one round trip). */
const RESERVE_SENDER_SLOT = new PrecompiledQuery(4, (_db, now: number, threadId: string, resourceId: string, sender: string) =>
  sql<SlotRow>`${takeSlot(now, threadId, resourceId, sender)} returning last_sequence_id, last_message_id, created_at, retention_policy`,
);
/**
 * SQLite: the UPDATE, then a read of the row it changed, in the same transaction on the one writer connection. SQLite
 * runs RETURNING through a temporary table: 12.9 µs a message against 4.1 µs for the two statements (bench/RESULTS.md
 * "Issue 15: fifth pass").
 */
const TAKE_SENDER_SLOT = new PrecompiledQuery(4, (_db, now: number, threadId: string, resourceId: string, sender: string) => takeSlot(now, threadId, resourceId, sender));
const SLOT_OF = new PrecompiledQuery(1, (_db, threadId: string) =>
  sql<SlotRow>`select last_sequence_id, last_message_id, created_at, retention_policy from chat_threads where id = ${threadId}`,
);

const INSERT_MESSAGE = new PrecompiledQuery(
  10,
  (
    _db,
    threadId: string,
    messageId: number,
    sequenceId: number,
    type: string,
    content: string | null,
    systemContent: string | null,
    senderRawId: string | null,
    senderDisplayName: string | null,
    metadata: string | null,
    now: number,
  ) => sql`
    insert into chat_messages (thread_id, id, sequence_id, type, content, system_content, sender_raw_id, sender_display_name,
                               metadata, created_at, edited_at, deleted_at, version)
    values (${threadId}, ${messageId}, ${sequenceId}, ${type}, ${content}, ${systemContent},
            ${senderRawId}, ${senderDisplayName}, ${metadata}, ${now}, null, null, ${messageId})`,
);

/**
 * Storage of chat threads, participants, messages and read receipts. Every query is portable (SQLite and
 * PostgreSQL). Write methods take the transaction of a `store.write`.
 */
export class ChatRepository {
  constructor(private readonly store: Store) {}

  /** A live thread of this resource together with the caller's participant row (one query). */
  async findMembership(resourceId: string, threadId: string, rawId: string): Promise<{ thread: ThreadRow; participant: ParticipantRow } | undefined> {
    const row = await this.store.db
      .selectFrom("chat_threads as t")
      .innerJoin("chat_participants as p", (j) => j.onRef("p.thread_id", "=", "t.id").on("p.raw_id", "=", rawId))
      .selectAll("t")
      .select([
        "p.display_name as p_display_name",
        "p.share_history_time as p_share_history_time",
        "p.metadata as p_metadata",
        "p.added_at as p_added_at",
      ])
      .where("t.id", "=", threadId)
      .where("t.resource_id", "=", resourceId)
      .where("t.deleted_at", "is", null)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const { p_display_name, p_share_history_time, p_metadata, p_added_at, ...thread } = row;
    return {
      thread: thread as ThreadRow,
      participant: {
        thread_id: threadId,
        raw_id: rawId,
        display_name: p_display_name,
        share_history_time: p_share_history_time === null ? null : Number(p_share_history_time),
        metadata: p_metadata,
        added_at: Number(p_added_at),
      },
    };
  }

  async findByRepeatabilityId(db: Db, resourceId: string, createdBy: string, repeatabilityId: string): Promise<ThreadRow | undefined> {
    return db
      .selectFrom("chat_threads")
      .selectAll()
      .where("resource_id", "=", resourceId)
      .where("created_by", "=", createdBy)
      .where("repeatability_id", "=", repeatabilityId)
      .executeTakeFirst();
  }

  /**
   * Inserts a thread unless the creator already made one with this repeatability id (the unique index decides, so
   * concurrent retries cannot both insert). Returns false on such a conflict.
   */
  async insertThread(db: Db, thread: ThreadRow): Promise<boolean> {
    const inserted = await db
      .insertInto("chat_threads")
      .values(thread)
      .onConflict((oc) => oc.columns(["resource_id", "created_by", "repeatability_id"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async updateThread(db: Db, threadId: string, changes: { topic?: string; metadata?: string | null; retention_policy?: string | null }): Promise<void> {
    if (Object.keys(changes).length === 0) return;
    await db.updateTable("chat_threads").set(changes).where("id", "=", threadId).execute();
  }

  async markThreadDeleted(db: Db, threadId: string, now: number): Promise<void> {
    await db.updateTable("chat_threads").set({ deleted_at: now }).where("id", "=", threadId).where("deleted_at", "is", null).execute();
  }

  /**
   * Reserves the next sequence id and message id of a live thread for a system message (one atomic UPDATE …
   * RETURNING, so concurrent writers on PostgreSQL serialize on the thread row). Message ids are epoch-ms-like and
   * strictly increasing.
   */
  async nextMessageSlot(db: Db, threadId: string, now: number): Promise<{ sequenceId: number; messageId: number } | undefined> {
    const row = await db
      .updateTable("chat_threads")
      .set({
        last_sequence_id: sql`last_sequence_id + 1`,
        last_message_id: sql`case when last_message_id >= cast(${now} as bigint) then last_message_id + 1 else cast(${now} as bigint) end`,
      })
      .where("id", "=", threadId)
      .where("deleted_at", "is", null)
      .returning(["last_sequence_id", "last_message_id"])
      .executeTakeFirst();
    return row === undefined ? undefined : { sequenceId: Number(row.last_sequence_id), messageId: Number(row.last_message_id) };
  }

  /**
   * The sendMessage hot path in one statement: reserves the next sequence and message id of a live thread of this
   * resource only if `sender` is one of its participants. Undefined means "no such thread for this caller".
   */
  async reserveSenderSlot(
    db: Db,
    resourceId: string,
    threadId: string,
    sender: string,
    now: number,
  ): Promise<{ sequenceId: number; messageId: number; createdAt: number; retentionPolicy: string | null } | undefined> {
    let row: SlotRow | undefined;
    if (this.store.dialect === "postgres") {
      row = (await RESERVE_SENDER_SLOT.execute(db, now, threadId, resourceId, sender)).rows[0];
    } else if ((await TAKE_SENDER_SLOT.execute(db, now, threadId, resourceId, sender)).numAffectedRows === 1n) {
      row = (await SLOT_OF.execute(db, threadId)).rows[0];
    }
    if (row === undefined) return undefined;
    return {
      sequenceId: Number(row.last_sequence_id),
      messageId: Number(row.last_message_id),
      createdAt: Number(row.created_at),
      retentionPolicy: row.retention_policy,
    };
  }

  async insertMessage(db: Db, threadId: string, slot: { sequenceId: number; messageId: number }, message: NewMessage, now: number): Promise<void> {
    await INSERT_MESSAGE.execute(db, threadId, slot.messageId, slot.sequenceId, message.type, message.content, message.systemContent,
      message.senderRawId, message.senderDisplayName, message.metadata, now);
  }

  async findMessage(threadId: string, messageId: number, db: Db = this.store.db): Promise<MessageRow | undefined> {
    return db.selectFrom("chat_messages").selectAll().where("thread_id", "=", threadId).where("id", "=", messageId).executeTakeFirst();
  }

  async updateMessage(
    db: Db,
    threadId: string,
    messageId: number,
    changes: { content?: string; metadata?: string | null; edited_at?: number; deleted_at?: number },
    now: number,
  ): Promise<void> {
    await db
      .updateTable("chat_messages")
      .set({
        ...changes,
        version: sql`case when version >= cast(${now} as bigint) then version + 1 else cast(${now} as bigint) end`,
      })
      .where("thread_id", "=", threadId)
      .where("id", "=", messageId)
      .execute();
  }

  /** Newest first, ids below `beforeId`, created at or after `notBefore`. */
  async listMessages(threadId: string, options: { limit: number; beforeId?: number; notBefore?: number }): Promise<MessageRow[]> {
    let query = this.store.db.selectFrom("chat_messages").selectAll().where("thread_id", "=", threadId);
    if (options.beforeId !== undefined) query = query.where("id", "<", options.beforeId);
    if (options.notBefore !== undefined) query = query.where("created_at", ">=", options.notBefore);
    return query.orderBy("id", "desc").limit(options.limit).execute();
  }

  async listParticipants(threadId: string, options: { skip: number; limit: number }): Promise<ParticipantRow[]> {
    return this.store.db
      .selectFrom("chat_participants")
      .selectAll()
      .where("thread_id", "=", threadId)
      .orderBy("added_at")
      .orderBy("raw_id")
      .offset(options.skip)
      .limit(options.limit)
      .execute();
  }

  async findParticipants(db: Db, threadId: string, rawIds: string[]): Promise<ParticipantRow[]> {
    if (rawIds.length === 0) return [];
    return db.selectFrom("chat_participants").selectAll().where("thread_id", "=", threadId).where("raw_id", "in", rawIds).execute();
  }

  async countParticipants(db: Db, threadId: string): Promise<number> {
    const row = await db
      .selectFrom("chat_participants")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("thread_id", "=", threadId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insertParticipants(db: Db, threadId: string, participants: NewParticipant[], now: number): Promise<void> {
    if (participants.length === 0) return;
    await db
      .insertInto("chat_participants")
      .values(
        participants.map((p) => ({
          thread_id: threadId,
          raw_id: p.rawId,
          display_name: p.displayName,
          share_history_time: p.shareHistoryTime,
          metadata: p.metadata,
          added_at: now,
        })),
      )
      .execute();
  }

  async updateParticipant(db: Db, threadId: string, p: NewParticipant): Promise<void> {
    await db
      .updateTable("chat_participants")
      .set({ display_name: p.displayName, share_history_time: p.shareHistoryTime, metadata: p.metadata })
      .where("thread_id", "=", threadId)
      .where("raw_id", "=", p.rawId)
      .execute();
  }

  async deleteParticipant(db: Db, threadId: string, rawId: string): Promise<boolean> {
    const result = await db.deleteFrom("chat_participants").where("thread_id", "=", threadId).where("raw_id", "=", rawId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** The caller's live threads, newest first; keyset paging on (created_at, id). */
  async listThreadsOf(
    resourceId: string,
    rawId: string,
    options: { limit: number; after?: { createdAt: number; id: string }; activeSince?: number },
  ): Promise<ThreadRow[]> {
    let query = this.store.db
      .selectFrom("chat_threads as t")
      .innerJoin("chat_participants as p", "p.thread_id", "t.id")
      .selectAll("t")
      .where("p.raw_id", "=", rawId)
      .where("t.resource_id", "=", resourceId)
      .where("t.deleted_at", "is", null);
    const after = options.after;
    if (after !== undefined) {
      query = query.where((eb) =>
        eb.or([eb("t.created_at", "<", after.createdAt), eb.and([eb("t.created_at", "=", after.createdAt), eb("t.id", "<", after.id)])]),
      );
    }
    const since = options.activeSince;
    if (since !== undefined) {
      query = query.where((eb) => eb(eb.fn.coalesce("t.last_message_at", "t.created_at"), ">=", since));
    }
    return query.orderBy("t.created_at", "desc").orderBy("t.id", "desc").limit(options.limit).execute();
  }

  /** Keeps a participant's newest read receipt only. */
  async upsertReadReceipt(db: Db, threadId: string, rawId: string, messageId: number, now: number): Promise<void> {
    await db
      .insertInto("chat_read_receipts")
      .values({ thread_id: threadId, sender_raw_id: rawId, message_id: messageId, read_on: now })
      .onConflict((oc) =>
        oc
          .columns(["thread_id", "sender_raw_id"])
          .doUpdateSet({ message_id: messageId, read_on: now })
          .where("chat_read_receipts.message_id", "<", messageId),
      )
      .execute();
  }

  async listReadReceipts(threadId: string, options: { skip: number; limit: number }): Promise<ReadReceiptRow[]> {
    return this.store.db
      .selectFrom("chat_read_receipts")
      .select(["sender_raw_id", "message_id", "read_on"])
      .where("thread_id", "=", threadId)
      .orderBy("sender_raw_id")
      .offset(options.skip)
      .limit(options.limit)
      .execute();
  }

  /** Which of these identities of the resource exist and are not deleted. */
  async liveIdentities(resourceId: string, rawIds: string[]): Promise<Set<string>> {
    if (rawIds.length === 0) return new Set();
    const rows = await this.store.db
      .selectFrom("identities")
      .select("id")
      .where("id", "in", rawIds)
      .where("resource_id", "=", resourceId)
      .where("deleted_at", "is", null)
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /** Which of these identities have been deleted. */
  async deletedIdentities(rawIds: string[]): Promise<Set<string>> {
    if (rawIds.length === 0) return new Set();
    const rows = await this.store.db.selectFrom("identities").select("id").where("id", "in", rawIds).where("deleted_at", "is not", null).execute();
    return new Set(rows.map((r) => r.id));
  }
}
