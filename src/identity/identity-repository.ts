import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import type { Store, WriteContext } from "../store/store.js";

export const IDENTITY_CHANGED = "identity";

export interface IdentityRecord {
  id: string;
  resourceId: string;
  createdAt: number;
  deletedAt: number | null;
  tokenGeneration: number;
  revokedAt: number | null;
}

/** Storage of communication identities and their revocation state. */
export class IdentityRepository {
  constructor(private readonly store: Store) {}

  async find(id: string, db: Kysely<Database> = this.store.db): Promise<IdentityRecord | undefined> {
    const row = await db.selectFrom("identities").selectAll().where("id", "=", id).executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      id: row.id,
      resourceId: row.resource_id,
      createdAt: Number(row.created_at),
      deletedAt: row.deleted_at === null ? null : Number(row.deleted_at),
      tokenGeneration: Number(row.token_generation),
      revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    };
  }

  /**
   * A page of a resource's live identities in creation order (the CLI's `identity list`): at most `limit`, after the
   * identity `after` (the last id of the previous page); `next` is set when more follow.
   */
  async list(resourceId: string, page: { limit: number; after?: string }): Promise<{ identities: IdentityRecord[]; next?: string }> {
    let select = this.store.db.selectFrom("identities").selectAll().where("resource_id", "=", resourceId).where("deleted_at", "is", null);
    if (page.after !== undefined) {
      const cursor = await this.find(page.after);
      if (cursor === undefined || cursor.resourceId !== resourceId) throw new Error(`no identity '${page.after}' to continue after`);
      select = select.where((eb) => eb.or([eb("created_at", ">", cursor.createdAt), eb.and([eb("created_at", "=", cursor.createdAt), eb("id", ">", cursor.id)])]));
    }
    const rows = await select.orderBy("created_at").orderBy("id").limit(page.limit + 1).execute();
    const identities = rows.slice(0, page.limit).map((row) => ({
      id: row.id,
      resourceId: row.resource_id,
      createdAt: Number(row.created_at),
      deletedAt: null,
      tokenGeneration: Number(row.token_generation),
      revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    }));
    return { identities, ...(rows.length > page.limit ? { next: identities[identities.length - 1]!.id } : {}) };
  }

  /** A new identity, in a write of its own (store.insert: batched with the other inserts of a turn on PostgreSQL). */
  create(id: string, resourceId: string, now: number): Promise<void> {
    return this.store.insert("identities", { id, resource_id: resourceId, created_at: now, deleted_at: null, token_generation: 0, revoked_at: null });
  }

  async insert(db: Kysely<Database>, id: string, resourceId: string, now: number): Promise<void> {
    await db
      .insertInto("identities")
      .values({ id, resource_id: resourceId, created_at: now, deleted_at: null, token_generation: 0, revoked_at: null })
      .execute();
  }

  /** Invalidates every token issued so far. Returns false if there is no live identity with that id. */
  async revoke(db: Kysely<Database>, ctx: WriteContext, id: string, resourceId: string, now: number): Promise<boolean> {
    const result = await db
      .updateTable("identities")
      .set((eb) => ({ token_generation: eb("token_generation", "+", 1), revoked_at: now }))
      .where("id", "=", id)
      .where("resource_id", "=", resourceId)
      .where("deleted_at", "is", null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    ctx.emit({ topic: IDENTITY_CHANGED, resourceId, subject: id });
    return true;
  }

  /** Marks the identity deleted (the row stays, so its history can still name it). */
  async markDeleted(db: Kysely<Database>, ctx: WriteContext, id: string, resourceId: string, now: number): Promise<boolean> {
    const result = await db
      .updateTable("identities")
      .set((eb) => ({ deleted_at: now, token_generation: eb("token_generation", "+", 1) }))
      .where("id", "=", id)
      .where("resource_id", "=", resourceId)
      .where("deleted_at", "is", null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    ctx.emit({ topic: IDENTITY_CHANGED, resourceId, subject: id });
    return true;
  }
}
