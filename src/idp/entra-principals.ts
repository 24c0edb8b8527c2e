import { randomBytes, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { ENTRA_PRINCIPAL_CHANGED, EntraPrincipalRepository } from "./entra-principal-repository.js";
import { generateClientCertificate, type GeneratedCertificate } from "./client-certificate.js";
import type { EntraPrincipalsTable } from "./idp-tables.js";
import { hashSecret, verifyAgainstDummy, verifySecret } from "./secret-hash.js";

export { ENTRA_PRINCIPAL_CHANGED } from "./entra-principal-repository.js";

export type PrincipalKind = EntraPrincipalsTable["kind"];

export interface SecretInfo {
  id: string;
  createdAt: number;
  expiresAt: number | null;
}

export interface PrincipalRecord {
  objectId: string;
  tenantId: string;
  kind: PrincipalKind;
  name: string;
  clientId: string | null;
  enabled: boolean;
  certificatePem: string | null;
  createdAt: number;
}

/** A client secret as shown once at creation: `<id>~<random>`; only its hash is stored. */
export interface IssuedSecret extends SecretInfo {
  value: string;
}

export type SecretCheck =
  | { ok: true; principal: PrincipalRecord }
  | { ok: false; reason: "unknown-client" | "disabled" | "invalid-secret" | "expired-secret" };

const SECRET_SEPARATOR = "~";

function toRecord(row: EntraPrincipalsTable): PrincipalRecord {
  return {
    objectId: row.object_id,
    tenantId: row.tenant_id,
    kind: row.kind,
    name: row.name,
    clientId: row.client_id,
    enabled: Number(row.enabled) === 1,
    certificatePem: row.certificate_pem,
    createdAt: Number(row.created_at),
  };
}

/** Service principals and built-in users of the authority, with their credentials. */
export class EntraPrincipals {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly tenantId: () => string,
  ) {
    this.repository = new EntraPrincipalRepository(store);
  }

  private readonly repository: EntraPrincipalRepository;

  async createServicePrincipal(options: {
    name: string;
    certificate?: boolean;
    secretExpiresAt?: number | null;
    /** A public client (apps users sign in to without a secret: SPAs, CLIs): no credential at all. */
    publicClient?: boolean;
  }): Promise<{ principal: PrincipalRecord; secret?: IssuedSecret; certificate?: GeneratedCertificate }> {
    const objectId = randomUUID();
    const clientId = randomUUID();
    const certificate = options.certificate === true ? await generateClientCertificate(options.name, this.clock.now()) : undefined;
    const secret = certificate === undefined && options.publicClient !== true ? await this.newSecret(options.secretExpiresAt ?? null) : undefined;
    const now = this.clock.now();
    await this.store.write(async (trx, ctx) => {
      await this.requireFreeName(trx, "service-principal", options.name);
      await this.repository.insert(trx, {
        object_id: objectId,
        tenant_id: this.tenantId(),
        kind: "service-principal",
        name: options.name,
        client_id: clientId,
        enabled: 1,
        password_hash: null,
        certificate_pem: certificate?.certificatePem ?? null,
        created_at: now,
      });
      if (secret !== undefined) await this.insertSecret(trx, objectId, secret.row);
      ctx.emit({ topic: ENTRA_PRINCIPAL_CHANGED, subject: objectId });
    });
    const principal = (await this.find(objectId))!;
    return {
      principal,
      ...(secret !== undefined ? { secret: secret.issued } : {}),
      ...(certificate !== undefined ? { certificate } : {}),
    };
  }

  async createUser(options: { name: string; password: string }): Promise<PrincipalRecord> {
    if (options.password.length < 8) throw new Error("the password must have at least 8 characters");
    const objectId = randomUUID();
    const passwordHash = await hashSecret(options.password);
    await this.store.write(async (trx, ctx) => {
      await this.requireFreeName(trx, "user", options.name);
      await this.repository.insert(trx, {
        object_id: objectId,
        tenant_id: this.tenantId(),
        kind: "user",
        name: options.name,
        client_id: null,
        enabled: 1,
        password_hash: passwordHash,
        certificate_pem: null,
        created_at: this.clock.now(),
      });
      ctx.emit({ topic: ENTRA_PRINCIPAL_CHANGED, subject: objectId });
    });
    return (await this.find(objectId))!;
  }

  /** Adds a secret (several may be valid at once, for rotation without downtime). */
  async addSecret(objectId: string, expiresAt: number | null): Promise<IssuedSecret> {
    const secret = await this.newSecret(expiresAt);
    await this.store.write(async (trx, ctx) => {
      const owner = await this.repository.find(objectId, trx);
      if (owner?.kind !== "service-principal") throw new Error("no service principal with that id");
      await this.insertSecret(trx, objectId, secret.row);
      ctx.emit({ topic: ENTRA_PRINCIPAL_CHANGED, subject: objectId });
    });
    return secret.issued;
  }

  async removeSecret(objectId: string, secretId: string): Promise<boolean> {
    return this.repository.deleteSecret(objectId, secretId);
  }

  async listSecrets(objectId: string): Promise<SecretInfo[]> {
    const rows = await this.repository.listSecrets(objectId);
    return rows.map((r) => ({ id: r.id, createdAt: Number(r.created_at), expiresAt: r.expires_at === null ? null : Number(r.expires_at) }));
  }

  async setEnabled(objectId: string, enabled: boolean): Promise<boolean> {
    return this.repository.setEnabled(objectId, enabled);
  }

  /** Deletes a principal with its secrets and role assignments; its tokens stop working at once. */
  async delete(objectId: string): Promise<boolean> {
    return this.repository.delete(objectId);
  }

  async find(objectId: string, db: Kysely<Database> = this.store.db): Promise<PrincipalRecord | undefined> {
    const row = await this.repository.find(objectId, db);
    return row === undefined ? undefined : toRecord(row);
  }

  async findByClientId(clientId: string): Promise<PrincipalRecord | undefined> {
    const row = await this.repository.findByClientId(clientId);
    return row === undefined ? undefined : toRecord(row);
  }

  /** A principal named on the command line: object id, client id, or name (an id match wins over a name match). */
  async resolve(ref: string): Promise<PrincipalRecord | undefined> {
    const rows = await this.repository.matching(ref);
    const byId = rows.find((r) => r.object_id === ref || r.client_id === ref);
    const chosen = byId ?? rows[0];
    return chosen === undefined ? undefined : toRecord(chosen);
  }

  async list(kind?: PrincipalKind): Promise<PrincipalRecord[]> {
    return (await this.repository.list(kind)).map(toRecord);
  }

  /** client_credentials with client_secret. The presented secret names its row, so one hash is computed. */
  async checkClientSecret(clientId: string, presented: string, source = ""): Promise<SecretCheck> {
    const principal = await this.findByClientId(clientId);
    if (principal === undefined) {
      // Constant work: an unknown client id costs one hash like a known one (no enumeration by timing).
      await verifyAgainstDummy(presented, source);
      return { ok: false, reason: "unknown-client" };
    }
    const secretId = presented.split(SECRET_SEPARATOR, 1)[0]!;
    const row = presented.length <= 256 ? await this.repository.findSecret(principal.objectId, secretId) : undefined;
    // Constant work: a secret id that names no secret is hashed against the dummy, like a wrong secret.
    if (row === undefined) {
      await verifyAgainstDummy(presented, source);
      return { ok: false, reason: "invalid-secret" };
    }
    if (!(await verifySecret(presented, row.hash, source))) return { ok: false, reason: "invalid-secret" };
    if (row.expires_at !== null && Number(row.expires_at) <= this.clock.now()) return { ok: false, reason: "expired-secret" };
    if (!principal.enabled) return { ok: false, reason: "disabled" };
    return { ok: true, principal };
  }

  /** The password grant: a built-in user's name and password. */
  async checkUserPassword(name: string, password: string, source = ""): Promise<PrincipalRecord | undefined> {
    const row = await this.repository.findByName("user", name);
    // Constant work: an unknown user (or one without a password) costs one hash like a known one.
    if (row === undefined || row.password_hash === null || password.length > 1024) {
      await verifyAgainstDummy(password, source);
      return undefined;
    }
    return (await verifySecret(password, row.password_hash, source)) ? toRecord(row) : undefined;
  }

  private async newSecret(expiresAt: number | null): Promise<{ issued: IssuedSecret; row: { id: string; hash: string; createdAt: number; expiresAt: number | null } }> {
    const id = randomBytes(6).toString("base64url");
    const value = `${id}${SECRET_SEPARATOR}${randomBytes(30).toString("base64url")}`;
    const createdAt = this.clock.now();
    return { issued: { id, value, createdAt, expiresAt }, row: { id, hash: await hashSecret(value), createdAt, expiresAt } };
  }

  private async insertSecret(
    db: Kysely<Database>,
    objectId: string,
    row: { id: string; hash: string; createdAt: number; expiresAt: number | null },
  ): Promise<void> {
    await this.repository.insertSecret(db, { id: row.id, object_id: objectId, hash: row.hash, created_at: row.createdAt, expires_at: row.expiresAt });
  }

  private async requireFreeName(db: Kysely<Database>, kind: PrincipalKind, name: string): Promise<void> {
    if (name.length === 0 || name.length > 200) throw new Error("the name must have 1 to 200 characters");
    const taken = await this.repository.findByName(kind, name, db);
    if (taken !== undefined) throw new Error(`a ${kind === "user" ? "user" : "service principal"} named '${name}' already exists`);
  }
}

