import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import type { MessageRow, ThreadRow } from "./chat-repository.js";

type Db = Kysely<Database>;

/**
 * The reads chat events are built from: a thread, its members, one message. Every method reads through the handle it
 * is given: the chat write's transaction (Event Grid events, events/chat-events.ts, are recorded inside the change
 * that raises them) or the store after the commit (realtime pushes, chat-realtime.ts).
 */
export class ChatEventRepository {
  /** The members of a thread as Event Grid events name them, ordered by raw id. */
  async members(db: Db, threadId: string): Promise<Array<{ raw_id: string; display_name: string | null; metadata: string | null }>> {
    return db.selectFrom("chat_participants").select(["raw_id", "display_name", "metadata"]).where("thread_id", "=", threadId).orderBy("raw_id").execute();
  }

  /** The members of a thread with the start of their history (realtime pushes skip those who may not see a message). */
  async recipients(db: Db, threadId: string): Promise<Array<{ raw_id: string; display_name: string | null; share_history_time: number | null; metadata: string | null }>> {
    return db.selectFrom("chat_participants").select(["raw_id", "display_name", "share_history_time", "metadata"]).where("thread_id", "=", threadId).execute();
  }

  async findThread(db: Db, threadId: string): Promise<ThreadRow | undefined> {
    return db.selectFrom("chat_threads").selectAll().where("id", "=", threadId).executeTakeFirst();
  }

  /** The thread, which must exist (the caller's transaction just changed it). */
  async getThread(db: Db, threadId: string): Promise<ThreadRow> {
    return db.selectFrom("chat_threads").selectAll().where("id", "=", threadId).executeTakeFirstOrThrow();
  }

  async findMessage(db: Db, threadId: string, messageId: number): Promise<MessageRow | undefined> {
    return db.selectFrom("chat_messages").selectAll().where("thread_id", "=", threadId).where("id", "=", messageId).executeTakeFirst();
  }
}
