import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import type { Store } from "../../store/store.js";
import type { EntraPrincipalsTable } from "../idp-tables.js";
import type { MiIdentitiesTable, MiWorkloadsTable } from "../signin/signin-tables.js";

export interface ManagedIdentityRow {
  name: string;
  clientId: string | null;
  principalId: string;
  workload: string;
  createdAt: number;
}

/**
 * Storage of managed identities: workloads (`mi_workloads`, the identity header stored as SHA-256) and which
 * principals each may use (`mi_identities`). The principals themselves are `entra_principals` rows
 * (EntraPrincipalRepository). Methods taking `db` join the caller's write.
 */
export class ManagedIdentityRepository {
  constructor(private readonly store: Store) {}

  async findWorkloadByName(name: string, db: Kysely<Database> = this.store.db): Promise<MiWorkloadsTable | undefined> {
    return db.selectFrom("mi_workloads").selectAll().where("name", "=", name).executeTakeFirst();
  }

  async findWorkloadByHeaderHash(headerHash: string): Promise<MiWorkloadsTable | undefined> {
    return this.store.db.selectFrom("mi_workloads").selectAll().where("header_hash", "=", headerHash).executeTakeFirst();
  }

  async insertWorkload(db: Kysely<Database>, row: MiWorkloadsTable): Promise<void> {
    await db.insertInto("mi_workloads").values(row).execute();
  }

  async insertLink(db: Kysely<Database>, row: MiIdentitiesTable): Promise<void> {
    await db.insertInto("mi_identities").values(row).execute();
  }

  /** Every managed identity with its workload, oldest first. */
  async list(): Promise<ManagedIdentityRow[]> {
    const rows = await this.store.db
      .selectFrom("entra_principals as p")
      .innerJoin("mi_identities as m", "m.object_id", "p.object_id")
      .innerJoin("mi_workloads as w", "w.id", "m.workload_id")
      .select(["p.name as name", "p.client_id as clientId", "p.object_id as principalId", "w.name as workload", "p.created_at as createdAt"])
      .orderBy("p.created_at")
      .execute();
    return rows.map((r) => ({ ...r, createdAt: Number(r.createdAt) }));
  }

  /** The principals a workload may use, oldest (its default) first. */
  async principalsOfWorkload(workloadId: string): Promise<EntraPrincipalsTable[]> {
    return this.store.db
      .selectFrom("entra_principals as p")
      .innerJoin("mi_identities as m", "m.object_id", "p.object_id")
      .selectAll("p")
      .where("m.workload_id", "=", workloadId)
      .orderBy("p.created_at")
      .execute();
  }

  /**
   * Deletes the identity's principal, its link and its role assignments; a workload left without identities goes
   * too. Returns whether the workload was deleted.
   */
  async deleteIdentity(db: Kysely<Database>, objectId: string): Promise<{ workloadDeleted: boolean }> {
    const link = await db.selectFrom("mi_identities").select("workload_id").where("object_id", "=", objectId).executeTakeFirst();
    await db.deleteFrom("entra_principals").where("object_id", "=", objectId).execute();
    await db.deleteFrom("mi_identities").where("object_id", "=", objectId).execute();
    await db.deleteFrom("rbac_role_assignments").where("principal_id", "=", objectId).execute();
    if (link === undefined) return { workloadDeleted: false };
    const left = await db.selectFrom("mi_identities").select("object_id").where("workload_id", "=", link.workload_id).executeTakeFirst();
    if (left !== undefined) return { workloadDeleted: false };
    await db.deleteFrom("mi_workloads").where("id", "=", link.workload_id).execute();
    return { workloadDeleted: true };
  }
}
