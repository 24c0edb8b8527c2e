import type { Store } from "../store/store.js";
import type { TrustedAuthMappingsTable, TrustedAuthSettingsTable } from "../idp/signin/signin-tables.js";

/** Storage of the trusted authentication service: per-resource settings and the Entra user → ACS identity mappings. */
export class TrustedAuthRepository {
  constructor(private readonly store: Store) {}

  async findSettings(resourceId: string): Promise<TrustedAuthSettingsTable | undefined> {
    return this.store.db.selectFrom("trusted_auth_settings").selectAll().where("resource_id", "=", resourceId).executeTakeFirst();
  }

  /** The client id of any resource's settings (one API app serves every resource it is enabled for). */
  async anyClientId(): Promise<string | undefined> {
    return (await this.store.db.selectFrom("trusted_auth_settings").select("client_id").executeTakeFirst())?.client_id;
  }

  /** Inserts or replaces the settings of `row.resource_id`. */
  async saveSettings(row: TrustedAuthSettingsTable): Promise<void> {
    await this.store.write(async (trx) => {
      await trx.deleteFrom("trusted_auth_settings").where("resource_id", "=", row.resource_id).execute();
      await trx.insertInto("trusted_auth_settings").values(row).execute();
    });
  }

  async findMapping(resourceId: string, issuer: string, objectId: string): Promise<TrustedAuthMappingsTable | undefined> {
    return this.store.db
      .selectFrom("trusted_auth_mappings")
      .selectAll()
      .where("resource_id", "=", resourceId)
      .where("issuer", "=", issuer)
      .where("object_id", "=", objectId)
      .executeTakeFirst();
  }

  /**
   * Inserts the mapping unless the user is mapped already; true when this call inserted it. Two concurrent first
   * sign-ins of the same user: one inserts, the other gets false (the key conflict is not an error).
   */
  async insertMappingIfAbsent(row: TrustedAuthMappingsTable): Promise<boolean> {
    return this.store.write(async (trx) => {
      const inserted = await trx
        .insertInto("trusted_auth_mappings")
        .values(row)
        .onConflict((oc) => oc.columns(["resource_id", "issuer", "object_id"]).doNothing())
        .returning("identity_id")
        .executeTakeFirst();
      return inserted !== undefined;
    });
  }

  async deleteMapping(resourceId: string, issuer: string, objectId: string): Promise<void> {
    await this.store.write(async (trx) => {
      await trx.deleteFrom("trusted_auth_mappings").where("resource_id", "=", resourceId).where("issuer", "=", issuer).where("object_id", "=", objectId).execute();
    });
  }

  /** Mappings of one resource (or of all), oldest first. */
  async listMappings(resourceId?: string): Promise<TrustedAuthMappingsTable[]> {
    let q = this.store.db.selectFrom("trusted_auth_mappings").selectAll().orderBy("created_at");
    if (resourceId !== undefined) q = q.where("resource_id", "=", resourceId);
    return q.execute();
  }
}
