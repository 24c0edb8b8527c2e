import { randomUUID } from "node:crypto";
import { RBAC_CHANGED } from "../../rbac/role-store.js";
import type { Store } from "../../store/store.js";
import type { Clock } from "../../util/clock.js";
import { EntraPrincipalRepository } from "../entra-principal-repository.js";
import { ManagedIdentityRepository } from "./managed-identity-repository.js";
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
  private readonly repository: ManagedIdentityRepository;
  private readonly principals: EntraPrincipalRepository;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly tenantId: () => string,
  ) {
    this.repository = new ManagedIdentityRepository(store);
    this.principals = new EntraPrincipalRepository(store);
  }

  /** Creates an identity in a new workload named like it, or in the existing workload `workload`. */
  async create(options: { name: string; workload?: string }): Promise<CreatedManagedIdentity> {
    if (options.name.length === 0 || options.name.length > 200) throw new Error("the name must have 1 to 200 characters");
    const objectId = randomUUID();
    const clientId = randomUUID();
    const now = this.clock.now();
    const header = newBearerSecret(SECRET_PREFIXES.identityHeader);
    return this.store.write(async (trx, ctx) => {
      const taken = await this.principals.findByName("managed-identity", options.name, trx);
      if (taken !== undefined) throw new Error(`a managed identity named '${options.name}' already exists`);
      let workloadId: string;
      let workloadName: string;
      let issued: string | undefined;
      if (options.workload !== undefined) {
        const w = await this.repository.findWorkloadByName(options.workload, trx);
        if (w === undefined) throw new Error(`no workload named '${options.workload}' (see: switchboard mi list)`);
        workloadId = w.id;
        workloadName = w.name;
      } else {
        const clash = await this.repository.findWorkloadByName(options.name, trx);
        if (clash !== undefined) throw new Error(`a workload named '${options.name}' already exists`);
        workloadId = randomUUID();
        workloadName = options.name;
        issued = header;
        await this.repository.insertWorkload(trx, { id: workloadId, name: workloadName, header_hash: digestSecret(header), created_at: now });
      }
      await this.principals.insert(trx, {
        object_id: objectId,
        tenant_id: this.tenantId(),
        kind: "managed-identity",
        name: options.name,
        client_id: clientId,
        enabled: 1,
        password_hash: null,
        certificate_pem: null,
        created_at: now,
      });
      await this.repository.insertLink(trx, { object_id: objectId, workload_id: workloadId, created_at: now });
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
    return (await this.repository.list()).map((r) => ({ ...r, clientId: r.clientId! }));
  }

  /** Deletes an identity (name, client id or object id) with its role assignments; an emptied workload goes too. */
  async delete(ref: string): Promise<ManagedIdentityInfo | undefined> {
    const found = (await this.list()).find((m) => m.name === ref || m.clientId === ref || m.principalId === ref);
    if (found === undefined) return undefined;
    await this.store.write(async (trx, ctx) => {
      await this.repository.deleteIdentity(trx, found.principalId);
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
    const workload = await this.repository.findWorkloadByHeaderHash(digestSecret(header));
    if (workload === undefined) return undefined;
    const rows = await this.repository.principalsOfWorkload(workload.id);
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
