import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import type { Store } from "../store/store.js";
import type {
  PhoneNumberHoldsTable,
  PhoneNumberOperationsTable,
  PhoneNumberReservationsTable,
  PhoneNumbersTable,
  PhoneNumberSearchesTable,
} from "./phone-numbers-tables.js";

/**
 * Storage of purchased numbers, holds, searches, reservations and long-running operations. Methods with a `db`
 * parameter run inside the caller's write (the services keep a purchase, its holds and its operation in one
 * transaction); without one they read the store.
 */
export class PhoneNumberRepository {
  constructor(private readonly store: Store) {}

  // --- holds ---

  /** Of `numbers`, those owned by any resource or held (unexpired) by anyone but `holderId`. */
  async takenNumbers(db: Kysely<Database>, numbers: string[], now: number, holderId?: string): Promise<Set<string>> {
    if (numbers.length === 0) return new Set();
    const owned = await db.selectFrom("phone_numbers").select("phone_number").where("phone_number", "in", numbers).execute();
    const held = await db
      .selectFrom("phone_number_holds")
      .select(["phone_number", "holder_id"])
      .where("phone_number", "in", numbers)
      .where("expires_at", ">", now)
      .execute();
    return new Set([...owned.map((r) => r.phone_number), ...held.filter((h) => h.holder_id !== holderId).map((h) => h.phone_number)]);
  }

  async deleteExpiredHolds(db: Kysely<Database>, now: number): Promise<void> {
    await db.deleteFrom("phone_number_holds").where("expires_at", "<=", now).execute();
  }

  /** Inserts holds; a number already held is skipped. Returns the numbers actually held. */
  async insertHolds(db: Kysely<Database>, holds: PhoneNumberHoldsTable[]): Promise<Set<string>> {
    if (holds.length === 0) return new Set();
    const inserted = await db
      .insertInto("phone_number_holds")
      .values(holds)
      .onConflict((oc) => oc.column("phone_number").doNothing())
      .returning("phone_number")
      .execute();
    return new Set(inserted.map((r) => r.phone_number));
  }

  /** Deletes a holder's unexpired holds; returns how many there were. */
  async releaseHolds(db: Kysely<Database>, holderId: string, now: number): Promise<number> {
    const rows = await db.deleteFrom("phone_number_holds").where("holder_id", "=", holderId).where("expires_at", ">", now).returning("phone_number").execute();
    return rows.length;
  }

  /** Deletes a holder's holds, all or the one on `phoneNumber`, expired or not. */
  async deleteHolds(db: Kysely<Database>, holderId: string, phoneNumber?: string): Promise<void> {
    let query = db.deleteFrom("phone_number_holds").where("holder_id", "=", holderId);
    if (phoneNumber !== undefined) query = query.where("phone_number", "=", phoneNumber);
    await query.execute();
  }

  async extendHolds(db: Kysely<Database>, holderId: string, expiresAt: number): Promise<void> {
    await db.updateTable("phone_number_holds").set({ expires_at: expiresAt }).where("holder_id", "=", holderId).execute();
  }

  // --- numbers ---

  /** Inserts purchased numbers; one already owned is skipped. Returns how many were inserted. */
  async insertNumbers(db: Kysely<Database>, rows: PhoneNumbersTable[]): Promise<number> {
    if (rows.length === 0) return 0;
    const inserted = await db
      .insertInto("phone_numbers")
      .values(rows)
      .onConflict((oc) => oc.column("phone_number").doNothing())
      .returning("phone_number")
      .execute();
    return inserted.length;
  }

  async findNumber(resourceId: string, phoneNumber: string, db: Kysely<Database> = this.store.db): Promise<PhoneNumbersTable | undefined> {
    return db.selectFrom("phone_numbers").selectAll().where("phone_number", "=", phoneNumber).where("resource_id", "=", resourceId).executeTakeFirst();
  }

  async listNumbers(resourceId: string, skip: number, top: number): Promise<{ rows: PhoneNumbersTable[]; more: boolean }> {
    const rows = await this.store.db
      .selectFrom("phone_numbers")
      .selectAll()
      .where("resource_id", "=", resourceId)
      .orderBy("phone_number")
      .offset(skip)
      .limit(top + 1)
      .execute();
    return { rows: rows.slice(0, top), more: rows.length > top };
  }

  async setCapabilities(db: Kysely<Database>, phoneNumber: string, capabilities: { calling: string; sms: string }): Promise<void> {
    await db.updateTable("phone_numbers").set({ calling: capabilities.calling, sms: capabilities.sms }).where("phone_number", "=", phoneNumber).execute();
  }

  /** Deletes the resource's number; false when it does not own it. */
  async deleteNumber(db: Kysely<Database>, resourceId: string, phoneNumber: string): Promise<boolean> {
    const deleted = await db.deleteFrom("phone_numbers").where("phone_number", "=", phoneNumber).where("resource_id", "=", resourceId).executeTakeFirst();
    return Number(deleted.numDeletedRows) > 0;
  }

  // --- searches ---

  async insertSearch(db: Kysely<Database>, row: PhoneNumberSearchesTable): Promise<void> {
    await db.insertInto("phone_number_searches").values(row).execute();
  }

  async findSearch(resourceId: string, id: string, db: Kysely<Database> = this.store.db): Promise<PhoneNumberSearchesTable | undefined> {
    return db.selectFrom("phone_number_searches").selectAll().where("id", "=", id).where("resource_id", "=", resourceId).executeTakeFirst();
  }

  /** Marks a search purchased; false when it already was (the loser of two concurrent purchases). */
  async claimSearch(db: Kysely<Database>, id: string, now: number): Promise<boolean> {
    const claimed = await db.updateTable("phone_number_searches").set({ purchased_at: now }).where("id", "=", id).where("purchased_at", "is", null).executeTakeFirst();
    return Number(claimed.numUpdatedRows) > 0;
  }

  // --- reservations ---

  /** A reservation by id; with `resourceId`, only that resource's. */
  async findReservation(id: string, resourceId?: string, db: Kysely<Database> = this.store.db): Promise<PhoneNumberReservationsTable | undefined> {
    let query = db.selectFrom("phone_number_reservations").selectAll().where("id", "=", id);
    if (resourceId !== undefined) query = query.where("resource_id", "=", resourceId);
    return query.executeTakeFirst();
  }

  async listReservations(resourceId: string, skip: number, top: number): Promise<{ rows: PhoneNumberReservationsTable[]; more: boolean }> {
    const rows = await this.store.db
      .selectFrom("phone_number_reservations")
      .selectAll()
      .where("resource_id", "=", resourceId)
      .orderBy("created_at")
      .orderBy("id")
      .offset(skip)
      .limit(top + 1)
      .execute();
    return { rows: rows.slice(0, top), more: rows.length > top };
  }

  /** False when a reservation of this id exists already (one created by a concurrent request, on PostgreSQL). */
  async insertReservation(db: Kysely<Database>, row: PhoneNumberReservationsTable): Promise<boolean> {
    const result = await db.insertInto("phone_number_reservations").values(row).onConflict((oc) => oc.column("id").doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async updateReservation(
    db: Kysely<Database>,
    id: string,
    change: Partial<Pick<PhoneNumberReservationsTable, "status" | "phone_numbers" | "updated_at" | "expires_at">>,
  ): Promise<void> {
    await db.updateTable("phone_number_reservations").set(change).where("id", "=", id).execute();
  }

  async deleteReservation(db: Kysely<Database>, id: string): Promise<void> {
    await db.deleteFrom("phone_number_reservations").where("id", "=", id).execute();
  }

  // --- long-running operations ---

  async insertOperation(db: Kysely<Database>, row: PhoneNumberOperationsTable): Promise<void> {
    await db.insertInto("phone_number_operations").values(row).execute();
  }

  async findOperation(resourceId: string, id: string): Promise<PhoneNumberOperationsTable | undefined> {
    return this.store.db.selectFrom("phone_number_operations").selectAll().where("id", "=", id).where("resource_id", "=", resourceId).executeTakeFirst();
  }

  async deleteOperation(resourceId: string, id: string): Promise<boolean> {
    const deleted = await this.store.write((trx) => trx.deleteFrom("phone_number_operations").where("id", "=", id).where("resource_id", "=", resourceId).executeTakeFirst());
    return Number(deleted.numDeletedRows) > 0;
  }
}
