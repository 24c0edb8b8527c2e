import type { Kysely } from "kysely";
import { RBAC_CHANGED } from "../rbac/role-repository.js";
import type { Database } from "../store/schema.js";
import type { Store } from "../store/store.js";
import type { EntraClientSecretsTable, EntraPrincipalsTable } from "./idp-tables.js";

export const ENTRA_PRINCIPAL_CHANGED = "entra-principal";

/**
 * Storage of the authority's principals (service principals, built-in users) and their client secrets (hashes
 * only). Writes announce an `entra-principal` change; deleting a principal also removes its role assignments.
 */
export class EntraPrincipalRepository {
  constructor(private readonly store: Store) {}

  /** Inserts a principal inside the caller's write (which emits the change once its credentials are in too). */
  async insert(db: Kysely<Database>, row: EntraPrincipalsTable): Promise<void> {
    await db.insertInto("entra_principals").values(row).execute();
  }

  async find(objectId: string, db: Kysely<Database> = this.store.db): Promise<EntraPrincipalsTable | undefined> {
    return db.selectFrom("entra_principals").selectAll().where("object_id", "=", objectId).executeTakeFirst();
  }

  async findByClientId(clientId: string): Promise<EntraPrincipalsTable | undefined> {
    return this.store.db.selectFrom("entra_principals").selectAll().where("client_id", "=", clientId).executeTakeFirst();
  }

  async findByName(kind: EntraPrincipalsTable["kind"], name: string, db: Kysely<Database> = this.store.db): Promise<EntraPrincipalsTable | undefined> {
    return db.selectFrom("entra_principals").selectAll().where("kind", "=", kind).where("name", "=", name).executeTakeFirst();
  }

  /** Principals whose object id, client id or name is `ref`, oldest first. */
  async matching(ref: string): Promise<EntraPrincipalsTable[]> {
    return this.store.db
      .selectFrom("entra_principals")
      .selectAll()
      .where((eb) => eb.or([eb("object_id", "=", ref), eb("client_id", "=", ref), eb("name", "=", ref)]))
      .orderBy("created_at")
      .execute();
  }

  async list(kind?: EntraPrincipalsTable["kind"]): Promise<EntraPrincipalsTable[]> {
    let query = this.store.db.selectFrom("entra_principals").selectAll().orderBy("created_at");
    if (kind !== undefined) query = query.where("kind", "=", kind);
    return query.execute();
  }

  async setEnabled(objectId: string, enabled: boolean): Promise<boolean> {
    return this.store.write(async (trx, ctx) => {
      const result = await trx
        .updateTable("entra_principals")
        .set({ enabled: enabled ? 1 : 0 })
        .where("object_id", "=", objectId)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      ctx.emit({ topic: ENTRA_PRINCIPAL_CHANGED, subject: objectId });
      return true;
    });
  }

  /** Deletes a principal with its secrets and role assignments; false when there was none. */
  async delete(objectId: string): Promise<boolean> {
    return this.store.write(async (trx, ctx) => {
      const result = await trx.deleteFrom("entra_principals").where("object_id", "=", objectId).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await trx.deleteFrom("entra_client_secrets").where("object_id", "=", objectId).execute();
      await trx.deleteFrom("rbac_role_assignments").where("principal_id", "=", objectId).execute();
      ctx.emit({ topic: ENTRA_PRINCIPAL_CHANGED, subject: objectId });
      ctx.emit({ topic: RBAC_CHANGED, subject: objectId });
      return true;
    });
  }

  // --- client secrets ---

  async insertSecret(db: Kysely<Database>, row: EntraClientSecretsTable): Promise<void> {
    await db.insertInto("entra_client_secrets").values(row).execute();
  }

  async findSecret(objectId: string, secretId: string): Promise<EntraClientSecretsTable | undefined> {
    return this.store.db.selectFrom("entra_client_secrets").selectAll().where("object_id", "=", objectId).where("id", "=", secretId).executeTakeFirst();
  }

  /** A principal's secrets without their hashes, oldest first. */
  async listSecrets(objectId: string): Promise<Array<Omit<EntraClientSecretsTable, "hash" | "object_id">>> {
    return this.store.db.selectFrom("entra_client_secrets").select(["id", "created_at", "expires_at"]).where("object_id", "=", objectId).orderBy("created_at").execute();
  }

  async deleteSecret(objectId: string, secretId: string): Promise<boolean> {
    return this.store.write(async (trx, ctx) => {
      const result = await trx.deleteFrom("entra_client_secrets").where("object_id", "=", objectId).where("id", "=", secretId).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      ctx.emit({ topic: ENTRA_PRINCIPAL_CHANGED, subject: objectId });
      return true;
    });
  }
}
