import type { Kysely, Selectable } from "kysely";
import type { ChatThreadsTable } from "../chat/chat-tables.js";
import type { PhoneNumbersTable } from "../phone-numbers/phone-numbers-tables.js";
import type { Database, IdentitiesTable } from "../store/schema.js";
import type { Store } from "../store/store.js";
import type { ConsoleLinksTable, ConsoleSessionsTable } from "./console-tables.js";

type Db = Kysely<Database>;
export type ConsoleLinkRow = Selectable<ConsoleLinksTable>;
export type ConsoleSessionRow = Selectable<ConsoleSessionsTable>;

/**
 * Storage of console sign-in: one-time link tokens and sessions, each stored only as the SHA-256 of its secret.
 * Methods taking `db` join the caller's write (redeeming spends the link and starts the session in one transaction).
 */
export class ConsoleSessionRepository {
  constructor(private readonly store: Store) {}

  async insertLink(row: ConsoleLinkRow): Promise<void> {
    await this.store.write(async (trx) => {
      await trx.insertInto("console_links").values(row).execute();
    });
  }

  /** Marks an unused, unexpired link used; whether this call spent it (concurrent redeemers: exactly one wins). */
  async spendLink(db: Db, tokenHash: string, now: number): Promise<boolean> {
    const spent = await db
      .updateTable("console_links")
      .set({ used_at: now })
      .where("token_hash", "=", tokenHash)
      .where("used_at", "is", null)
      .where("expires_at", ">", now)
      .executeTakeFirst();
    return Number(spent.numUpdatedRows) === 1;
  }

  /** Who a link signs in (it must exist: the caller just spent it). */
  async getLink(db: Db, tokenHash: string): Promise<Pick<ConsoleLinkRow, "operator" | "user_object_id">> {
    return db.selectFrom("console_links").select(["operator", "user_object_id"]).where("token_hash", "=", tokenHash).executeTakeFirstOrThrow();
  }

  async insertSession(db: Db, row: ConsoleSessionRow): Promise<void> {
    await db.insertInto("console_sessions").values(row).execute();
  }

  async findSession(idHash: string): Promise<ConsoleSessionRow | undefined> {
    return this.store.db.selectFrom("console_sessions").selectAll().where("id_hash", "=", idHash).executeTakeFirst();
  }

  async endSession(idHash: string, now: number): Promise<void> {
    await this.store.write(async (trx) => {
      await trx.updateTable("console_sessions").set({ ended_at: now }).where("id_hash", "=", idHash).execute();
    });
  }
}

/** What the console's pages read of other areas' tables (identities, counts, numbers, threads, signing keys). */
export class ConsoleViewRepository {
  constructor(private readonly store: Store) {}

  /**
   * A page of a resource's identities by id (keyset paging): ids starting with `search`, after `after`, in id order,
   * `limit` rows at most.
   */
  async listIdentities(resourceId: string, search: string, after: string | undefined, limit: number): Promise<Array<Selectable<IdentitiesTable>>> {
    let q = this.store.db.selectFrom("identities").selectAll().where("resource_id", "=", resourceId);
    if (search !== "") q = q.where("id", ">=", search).where("id", "<", `${search}\uffff`);
    if (after !== undefined) q = q.where("id", ">", after);
    return q.orderBy("id").limit(limit).execute();
  }

  async findIdentity(resourceId: string, id: string): Promise<Selectable<IdentitiesTable> | undefined> {
    return this.store.db.selectFrom("identities").selectAll().where("id", "=", id).where("resource_id", "=", resourceId).executeTakeFirst();
  }

  /** How many rows of a resource a table holds. */
  async count(tableName: "identities" | "outbox_messages" | "calls" | "chat_threads", resourceId: string): Promise<number> {
    const row = await this.store.db.selectFrom(tableName).select((eb) => eb.fn.countAll<number>().as("n")).where("resource_id", "=", resourceId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The resource's phone numbers by number. */
  async phoneNumbers(resourceId: string, limit: number): Promise<Array<Selectable<PhoneNumbersTable>>> {
    return this.store.db.selectFrom("phone_numbers").selectAll().where("resource_id", "=", resourceId).orderBy("phone_number").limit(limit).execute();
  }

  /** The resource's live chat threads, newest first. */
  async chatThreads(resourceId: string, limit: number): Promise<Array<Selectable<ChatThreadsTable>>> {
    return this.store.db.selectFrom("chat_threads").selectAll().where("resource_id", "=", resourceId).where("deleted_at", "is", null).orderBy("created_at", "desc").limit(limit).execute();
  }

  /** The user-token signing keys, newest first. */
  async signingKeys(limit: number): Promise<Array<{ kid: string; created_at: number; retired_at: number | null }>> {
    return this.store.db.selectFrom("signing_keys").select(["kid", "created_at", "retired_at"]).orderBy("created_at", "desc").limit(limit).execute();
  }
}
