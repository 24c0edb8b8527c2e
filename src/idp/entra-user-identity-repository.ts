import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import type { Store } from "../store/store.js";
import type { EntraUserIdentitiesTable } from "./idp-tables.js";

/** Which `8:acs:` identity of a resource an Entra user (issuer + oid) exchanges to (`entra_user_identities`). */
export class EntraUserIdentityRepository {
  constructor(private readonly store: Store) {}

  async find(resourceId: string, issuer: string, objectId: string, db: Kysely<Database> = this.store.db): Promise<string | undefined> {
    const row = await db
      .selectFrom("entra_user_identities")
      .select("identity_id")
      .where("resource_id", "=", resourceId)
      .where("issuer", "=", issuer)
      .where("object_id", "=", objectId)
      .executeTakeFirst();
    return row?.identity_id;
  }

  /** Inside the caller's write (with the identity's own row); a second mapping of the same user fails on the key. */
  async insert(db: Kysely<Database>, row: EntraUserIdentitiesTable): Promise<void> {
    await db.insertInto("entra_user_identities").values(row).execute();
  }
}
