import { randomUUID } from "node:crypto";
import { RBAC_CHANGED } from "../../rbac/role-store.js";
import type { Store } from "../../store/store.js";
import type { Clock } from "../../util/clock.js";
import { ENTRA_PRINCIPAL_CHANGED, type PrincipalRecord } from "../entra-principals.js";
import { digestSecret, newBearerSecret, SECRET_PREFIXES } from "../signin/secret-digest.js";

export interface ManagedIdentityInfo {
  name: string;
  clientId: string;
  principalId: string;
  workload: string;
  createdAt: number;
}

export interface CreatedManagedIdentity extends ManagedIdentityInfo {
  /** The workload's identity header; only for a new workload (its hash is all that is stored). */
  identityHeader?: string;
}

/**
 * Managed identities: principals (kind `managed-identity`, with a client id and roles like any principal) that a
 * workload obtains tokens for by presenting its identity header. A workload may use several identities; the first
 * one is its default, `client_id` / `object_id` select another.
 */
export class ManagedIdentities {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly tenantId: () => string,
  ) {}

  /** Creates an identity in a new workload named like it, or in the existing workload `workload`. */
  async create(options: { name: string; workload?: string }): Promise<CreatedManagedIdentity> {
    if (options.name.length === 0 || options.name.length > 200) throw new Error("the name must have 1 to 200 characters");
    const objectId = randomUUID();
    const clientId = randomUUID();
    const now = this.clock.now();
    const header = newBearerSecret(SECRET_PREFIXES.identityHeader);
    return this.store.write(async (trx, ctx) => {
      const taken = await trx.selectFrom("entra_principals").select("object_id").where("kind", "=", "managed-identity").where("name", "=", options.name).executeTakeFirst();
      if (taken !== undefined) throw new Error(`a managed identity named '${options.name}' already exists`);
      let workloadId: string;
      let workloadName: string;
      let issued: string | undefined;
      if (options.workload !== undefined) {
        const w = await trx.selectFrom("mi_workloads").selectAll().where("name", "=", options.workload).executeTakeFirst();
        if (w === undefined) throw new Error(`no workload named '${options.workload}' (see: switchboard mi list)`);
        workloadId = w.id;
        workloadName = w.name;
      } else {
        const clash = await trx.selectFrom("mi_workloads").select("id").where("name", "=", options.name).executeTakeFirst();
        if (clash !== undefined) throw new Error(`a workload named '${options.name}' already exists`);
        workloadId = randomUUID();
        workloadName = options.name;
        issued = header;
        await trx.insertInto("mi_workloads").values({ id: workloadId, name: workloadName, header_hash: digestSecret(header), created_at: now }).execute();
      }
      await trx
        .insertInto("entra_principals")
        .values({
          object_id: objectId,
          tenant_id: this.tenantId(),
          kind: "managed-identity",
          name: options.name,
          client_id: clientId,
          enabled: 1,
          password_hash: null,
          certificate_pem: null,
          created_at: now,
        })
        .execute();
      await trx.insertInto("mi_identities").values({ object_id: objectId, workload_id: workloadId, created_at: now }).execute();
      ctx.emit({ topic: ENTRA_PRINCIPAL_CHANGED, subject: objectId });
      return {
        name: options.name,
        clientId,
        principalId: objectId,
        workload: workloadName,
        createdAt: now,
        ...(issued !== undefined ? { identityHeader: issued } : {}),
      };
    });
  }

  async list(): Promise<ManagedIdentityInfo[]> {
    const rows = await this.store.db
      .selectFrom("entra_principals as p")
      .innerJoin("mi_identities as m", "m.object_id", "p.object_id")
      .innerJoin("mi_workloads as w", "w.id", "m.workload_id")
      .select(["p.name as name", "p.client_id as clientId", "p.object_id as principalId", "w.name as workload", "p.created_at as createdAt"])
      .orderBy("p.created_at")
      .execute();
    return rows.map((r) => ({ ...r, clientId: r.clientId!, createdAt: Number(r.createdAt) }));
  }

  /** Deletes an identity (name, client id or object id) with its role assignments; an emptied workload goes too. */
  async delete(ref: string): Promise<ManagedIdentityInfo | undefined> {
    const found = (await this.list()).find((m) => m.name === ref || m.clientId === ref || m.principalId === ref);
    if (found === undefined) return undefined;
    await this.store.write(async (trx, ctx) => {
      const link = await trx.selectFrom("mi_identities").select("workload_id").where("object_id", "=", found.principalId).executeTakeFirst();
      await trx.deleteFrom("entra_principals").where("object_id", "=", found.principalId).execute();
      await trx.deleteFrom("mi_identities").where("object_id", "=", found.principalId).execute();
      await trx.deleteFrom("rbac_role_assignments").where("principal_id", "=", found.principalId).execute();
      if (link !== undefined) {
        const left = await trx.selectFrom("mi_identities").select("object_id").where("workload_id", "=", link.workload_id).executeTakeFirst();
        if (left === undefined) await trx.deleteFrom("mi_workloads").where("id", "=", link.workload_id).execute();
      }
      ctx.emit({ topic: ENTRA_PRINCIPAL_CHANGED, subject: found.principalId });
      ctx.emit({ topic: RBAC_CHANGED, subject: found.principalId });
    });
    return found;
  }

  /**
   * The identities the workload holding `header` may use, oldest (its default) first; undefined for an unknown
   * header. The lookup is by SHA-256 of the presented value, so no stored value is compared byte by byte.
   */
  async identitiesFor(header: string): Promise<PrincipalRecord[] | undefined> {
    if (header.length > 200) return undefined;
    const workload = await this.store.db.selectFrom("mi_workloads").select("id").where("header_hash", "=", digestSecret(header)).executeTakeFirst();
    if (workload === undefined) return undefined;
    const rows = await this.store.db
      .selectFrom("entra_principals as p")
      .innerJoin("mi_identities as m", "m.object_id", "p.object_id")
      .selectAll("p")
      .where("m.workload_id", "=", workload.id)
      .orderBy("p.created_at")
      .execute();
    return rows.map((row) => ({
      objectId: row.object_id,
      tenantId: row.tenant_id,
      kind: row.kind,
      name: row.name,
      clientId: row.client_id,
      enabled: Number(row.enabled) === 1,
      certificatePem: row.certificate_pem,
      createdAt: Number(row.created_at),
    }));
  }
}
