import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { TrustedAuthRepository } from "./trusted-auth-repository.js";
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
  private readonly repository: TrustedAuthRepository;

  constructor(
    store: Store,
    private readonly clock: Clock,
  ) {
    this.repository = new TrustedAuthRepository(store);
  }

  async settings(resourceId: string): Promise<TrustedAuthSettings | undefined> {
    const row = await this.repository.findSettings(resourceId);
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
    return this.repository.anyClientId();
  }

  async enable(settings: TrustedAuthSettings): Promise<TrustedAuthSettings> {
    await this.repository.saveSettings({
      resource_id: settings.resourceId,
      client_id: settings.clientId,
      scopes: settings.scopes.join(" "),
      external_audiences: JSON.stringify(settings.externalAudiences),
      created_at: this.clock.now(),
    });
    return settings;
  }

  async find(resourceId: string, issuer: string, objectId: string): Promise<TrustedAuthMapping | undefined> {
    const row = await this.repository.findMapping(resourceId, issuer, objectId);
    return row === undefined ? undefined : toMapping(row);
  }

  /** Maps the user to `identity` unless a concurrent request mapped them first; returns the mapping that holds. */
  async insert(mapping: Omit<TrustedAuthMapping, "createdAt">): Promise<{ mapping: TrustedAuthMapping; created: boolean }> {
    const created = await this.repository.insertMappingIfAbsent({
      resource_id: mapping.resourceId,
      issuer: mapping.issuer,
      tenant_id: mapping.tenantId,
      object_id: mapping.objectId,
      identity_id: mapping.acsUserIdentity,
      created_at: this.clock.now(),
    });
    return { mapping: (await this.find(mapping.resourceId, mapping.issuer, mapping.objectId))!, created };
  }

  async remove(resourceId: string, issuer: string, objectId: string): Promise<void> {
    await this.repository.deleteMapping(resourceId, issuer, objectId);
  }

  async list(resourceId?: string): Promise<TrustedAuthMapping[]> {
    return (await this.repository.listMappings(resourceId)).map(toMapping);
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
