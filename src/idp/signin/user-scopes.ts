import { entraError, type EntraError } from "../../errors/entra-errors.js";
import { parseScopeRequest } from "../authority-tokens.js";
import type { AppRegistrations } from "./app-registrations.js";

const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);
const API_SCOPE = /^api:\/\/([0-9a-f-]{36})\/(.+)$/i;

export type UserScopes =
  | {
      ok: true;
      /** The access token's `aud`: a resource, an API app's client id, or the signing-in app itself. */
      audience: string;
      scp: string[];
      /** The scopes as granted (the `scope` of the token response). */
      granted: string[];
      openid: boolean;
      offlineAccess: boolean;
    }
  | { ok: false; failure: EntraError };

/**
 * The scopes of a user sign-in: OIDC scopes, plus the scopes of one resource: an ACS/Teams resource, or an API app
 * registered here (`api://<clientId>/<exposed scope>` or `api://<clientId>/.default`). Only OIDC scopes: the
 * access token is for the signing-in app itself.
 */
export async function resolveUserScopes(scope: string | undefined, clientId: string, apps: AppRegistrations): Promise<UserScopes> {
  const all = (scope ?? "").split(/\s+/).filter((s) => s !== "");
  const oidc = all.filter((s) => OIDC_SCOPES.has(s.toLowerCase())).map((s) => s.toLowerCase());
  const rest = all.filter((s) => !OIDC_SCOPES.has(s.toLowerCase()));
  const base = { openid: oidc.includes("openid"), offlineAccess: oidc.includes("offline_access") };
  if (rest.length === 0) {
    if (oidc.length === 0) return { ok: false, failure: entraError("ScopeParameterMissing") };
    return { ok: true, audience: clientId, scp: oidc.filter((s) => s !== "offline_access"), granted: oidc, ...base };
  }
  const api = rest.map((s) => API_SCOPE.exec(s));
  if (api.every((m) => m !== null)) {
    const apiClient = api[0]![1]!.toLowerCase();
    if (api.some((m) => m![1]!.toLowerCase() !== apiClient)) {
      return { ok: false, failure: entraError("ScopeNamesSeveralResources") };
    }
    const app = await apps.get(apiClient);
    const names = new Set<string>();
    for (const m of api) {
      const name = m![2]!;
      if (name === ".default") for (const s of app?.exposedScopes ?? []) names.add(s);
      else if (app?.exposedScopes.includes(name) === true) names.add(name);
      else return { ok: false, failure: entraError("ScopeNotExposed", m![0]) };
    }
    if (names.size === 0) return { ok: false, failure: entraError("NoExposedScopes", apiClient) };
    return { ok: true, audience: apiClient, scp: [...names], granted: [...rest, ...oidc], ...base };
  }
  if (api.some((m) => m !== null)) return { ok: false, failure: entraError("ScopeNamesSeveralResources") };
  const parsed = parseScopeRequest(rest.join(" "), "user");
  if (!parsed.ok) return parsed;
  return { ok: true, audience: parsed.audience, scp: parsed.scp, granted: [...parsed.resourceScopes, ...oidc], ...base };
}
