import type { Core } from "../core.js";
import type { UserScope } from "../auth/principal.js";
import type { Resource } from "../resources/resource.js";
import { TRUSTED_AUTH_BASE, TRUSTED_AUTH_SCOPE } from "./trusted-auth-routes.js";
import { TrustedAuthStore, type TrustedAuthSettings } from "./trusted-auth-store.js";

export const TRUSTED_AUTH_APP_NAME = "Switchboard trusted authentication";

/** What `trusted-auth info --json` prints. */
export interface TrustedAuthInfo {
  baseUrl: string;
  clientId: string;
  apiScope: string;
  resource: string;
  tenantId: string;
  scopes: UserScope[];
}

/**
 * Enables the trusted authentication service for a resource (idempotent): one API app for every resource, a public
 * client exposing `access_as_user`, whose redirect URI is the sample page (it signs users in with PKCE).
 */
export async function enableTrustedAuth(
  core: Core,
  resource: Resource,
  options: { endpoint: string; scopes?: UserScope[]; externalAudiences?: string[] },
): Promise<TrustedAuthSettings> {
  const store = new TrustedAuthStore(core.store, core.clock);
  const current = await store.settings(resource.id);
  let clientId = current?.clientId ?? (await store.anyClientId());
  if (clientId === undefined) {
    const existing = (await core.entra.principals.list("service-principal")).find((p) => p.name === TRUSTED_AUTH_APP_NAME);
    clientId = existing?.clientId ?? (await core.entra.principals.createServicePrincipal({ name: TRUSTED_AUTH_APP_NAME, publicClient: true })).principal.clientId!;
  }
  const app = await core.entra.signin.apps.get(clientId);
  const sample = `${options.endpoint}${TRUSTED_AUTH_BASE}/sample`;
  await core.entra.signin.apps.save({
    clientId,
    publicClient: true,
    redirectUris: [...new Set([...(app?.redirectUris ?? []), sample])],
    exposedScopes: [...new Set([...(app?.exposedScopes ?? []), TRUSTED_AUTH_SCOPE])],
  });
  if (current !== undefined && options.scopes === undefined && options.externalAudiences === undefined) return current;
  return store.enable({
    resourceId: resource.id,
    clientId,
    scopes: options.scopes ?? current?.scopes ?? ["chat", "voip"],
    externalAudiences: options.externalAudiences ?? current?.externalAudiences ?? [],
  });
}

export function describeTrustedAuth(core: Core, resource: Resource, settings: TrustedAuthSettings, endpoint: string): TrustedAuthInfo {
  return {
    baseUrl: `${endpoint}${TRUSTED_AUTH_BASE}`,
    clientId: settings.clientId,
    apiScope: `api://${settings.clientId}/${TRUSTED_AUTH_SCOPE}`,
    resource: resource.name,
    tenantId: core.entra.keys.tenantId,
    scopes: settings.scopes,
  };
}
