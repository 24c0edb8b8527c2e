import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { isUserScope, type UserScope } from "../auth/principal.js";

export const DEFAULT_TRUSTED_AUTH_SCOPES: UserScope[] = ["chat", "voip"];

export interface TrustedAuthSettings {
  resourceId: string;
  clientId: string;
  scopes: UserScope[];
  /** `aud` values accepted from trusted external issuers (none: only the built-in authority's tokens). */
  externalAudiences: string[];
}

export interface TrustedAuthMapping {
  resourceId: string;
  issuer: string;
  tenantId: string;
  objectId: string;
  acsUserIdentity: string;
  createdAt: number;
}

/** Where the trusted authentication service is enabled, and its Entra user → ACS identity mappings. */
export class TrustedAuthStore {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async settings(resourceId: string): Promise<TrustedAuthSettings | undefined> {
    const row = await this.store.db.selectFrom("trusted_auth_settings").selectAll().where("resource_id", "=", resourceId).executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      resourceId: row.resource_id,
      clientId: row.client_id,
      scopes: row.scopes.split(" ").filter(isUserScope),
      externalAudiences: JSON.parse(row.external_audiences) as string[],
    };
  }

  /** Any resource's API app (one app serves every resource it is enabled for). */
  async anyClientId(): Promise<string | undefined> {
    return (await this.store.db.selectFrom("trusted_auth_settings").select("client_id").executeTakeFirst())?.client_id;
  }

  async enable(settings: TrustedAuthSettings): Promise<TrustedAuthSettings> {
    await this.store.write(async (trx) => {
      await trx.deleteFrom("trusted_auth_settings").where("resource_id", "=", settings.resourceId).execute();
      await trx
        .insertInto("trusted_auth_settings")
        .values({
          resource_id: settings.resourceId,
          client_id: settings.clientId,
          scopes: settings.scopes.join(" "),
          external_audiences: JSON.stringify(settings.externalAudiences),
          created_at: this.clock.now(),
        })
        .execute();
    });
    return settings;
  }

  async find(resourceId: string, issuer: string, objectId: string): Promise<TrustedAuthMapping | undefined> {
    const row = await this.store.db
      .selectFrom("trusted_auth_mappings")
      .selectAll()
      .where("resource_id", "=", resourceId)
      .where("issuer", "=", issuer)
      .where("object_id", "=", objectId)
      .executeTakeFirst();
    return row === undefined ? undefined : toMapping(row);
  }

  /** Maps the user to `identity` unless a concurrent request mapped them first; returns the mapping that holds. */
  async insert(mapping: Omit<TrustedAuthMapping, "createdAt">): Promise<{ mapping: TrustedAuthMapping; created: boolean }> {
    const created = await this.store.write(async (trx) => {
      const existing = await trx
        .selectFrom("trusted_auth_mappings")
        .select("identity_id")
        .where("resource_id", "=", mapping.resourceId)
        .where("issuer", "=", mapping.issuer)
        .where("object_id", "=", mapping.objectId)
        .executeTakeFirst();
      if (existing !== undefined) return false;
      await trx
        .insertInto("trusted_auth_mappings")
        .values({
          resource_id: mapping.resourceId,
          issuer: mapping.issuer,
          tenant_id: mapping.tenantId,
          object_id: mapping.objectId,
          identity_id: mapping.acsUserIdentity,
          created_at: this.clock.now(),
        })
        .execute();
      return true;
    });
    return { mapping: (await this.find(mapping.resourceId, mapping.issuer, mapping.objectId))!, created };
  }

  async remove(resourceId: string, issuer: string, objectId: string): Promise<void> {
    await this.store.write(async (trx) => {
      await trx.deleteFrom("trusted_auth_mappings").where("resource_id", "=", resourceId).where("issuer", "=", issuer).where("object_id", "=", objectId).execute();
    });
  }

  async list(resourceId?: string): Promise<TrustedAuthMapping[]> {
    let q = this.store.db.selectFrom("trusted_auth_mappings").selectAll().orderBy("created_at");
    if (resourceId !== undefined) q = q.where("resource_id", "=", resourceId);
    return (await q.execute()).map(toMapping);
  }
}

function toMapping(row: { resource_id: string; issuer: string; tenant_id: string; object_id: string; identity_id: string; created_at: number }): TrustedAuthMapping {
  return {
    resourceId: row.resource_id,
    issuer: row.issuer,
    tenantId: row.tenant_id,
    objectId: row.object_id,
    acsUserIdentity: row.identity_id,
    createdAt: Number(row.created_at),
  };
}
