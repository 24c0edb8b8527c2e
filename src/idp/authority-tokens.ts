import { randomBytes } from "node:crypto";
import { entraError, type EntraError } from "../errors/entra-errors.js";
import type { Clock } from "../util/clock.js";
import type { AuthorityKeys } from "./authority-keys.js";
import type { PrincipalRecord } from "./entra-principals.js";

/** The resource the Identity/SMS/Email APIs are called for, and the `aud` of their tokens. */
import { ACS_AUDIENCE } from "../auth/audiences.js";

export { ACS_AUDIENCE };
/** The resource of Teams user tokens for the Teams exchange (Teams.ManageCalls, Teams.ManageChats). */
export const TEAMS_AUDIENCE = "https://auth.msft.communication.azure.com";
/** Scopes MSAL adds to user flows; they do not name a resource. */
const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);
const RESOURCES = [TEAMS_AUDIENCE, ACS_AUDIENCE] as const;
const DEFAULT_DELEGATED: Record<(typeof RESOURCES)[number], string[]> = {
  [ACS_AUDIENCE]: ["clients/Chat", "clients/VoIP"],
  [TEAMS_AUDIENCE]: ["Teams.ManageCalls", "Teams.ManageChats"],
};

export type ScopeRequest =
  | { ok: true; audience: string; /** Delegated scopes (user flows); empty for app tokens. */ scp: string[]; resourceScopes: string[] }
  | { ok: false; failure: EntraError };

/**
 * Reads the `scope` of a token request: every non-OIDC scope must belong to one known resource. The app flow
 * (client_credentials) takes only `<resource>/.default`, as Entra ID does.
 */
export function parseScopeRequest(scope: string | undefined, flow: "app" | "user", extraResources: readonly string[] = []): ScopeRequest {
  const requested = (scope ?? "").split(/\s+/).filter((s) => s !== "" && !OIDC_SCOPES.has(s.toLowerCase()));
  if (requested.length === 0) return { ok: false, failure: entraError("ScopeMissing") };
  // Extra resources: the management plane (src/management/arm-audiences.ts), longest first so a host:port wins.
  const known = [...RESOURCES, ...[...extraResources].sort((a, b) => b.length - a.length)];
  let audience: string | undefined;
  const scp = new Set<string>();
  for (const s of requested) {
    const resource = known.find((r) => s.startsWith(`${r}/`));
    if (resource === undefined) {
      return { ok: false, failure: entraError("ScopeResourceNotFound", s) };
    }
    if (audience !== undefined && audience !== resource) {
      return { ok: false, failure: entraError("ScopeNamesSeveralResources") };
    }
    audience = resource;
    const suffix = s.slice(resource.length + 1).replace(/^\/+/, "");
    if (flow === "app") {
      if (suffix !== ".default" || requested.length !== 1) {
        return { ok: false, failure: entraError("ScopeNotDefault", s) };
      }
      continue;
    }
    if (suffix === ".default" || suffix === "clients/.default") for (const d of DEFAULT_DELEGATED[resource as (typeof RESOURCES)[number]] ?? ["user_impersonation"]) scp.add(d);
    else if (/^[\w./-]{1,100}$/.test(suffix)) scp.add(suffix);
    else return { ok: false, failure: entraError("ScopeValueInvalid") };
  }
  return { ok: true, audience: audience!, scp: [...scp], resourceScopes: requested };
}

/** The `iss` of the built-in authority as a client reached it (MSAL requires the authority host in it). */
export function authorityIssuer(baseUrl: string, tenantId: string): string {
  return `${baseUrl}/${tenantId}/v2.0`;
}

/** Mints the authority's access and ID tokens (RS256, kid of the authority's active key). */
export class AuthorityTokens {
  constructor(
    private readonly keys: AuthorityKeys,
    private readonly clock: Clock,
    private readonly lifetimeSec: number,
  ) {}

  /** An access token for a service principal (app token) or a user signed in through `client` (delegated). */
  issueAccessToken(options: {
    issuer: string;
    audience: string;
    subject: PrincipalRecord;
    client: PrincipalRecord;
    scp: string[];
    clientAuth: "public" | "secret" | "certificate";
  }): { token: string; expiresIn: number } {
    const iat = Math.floor(this.clock.now() / 1000);
    const exp = iat + this.lifetimeSec;
    const user = options.subject.kind === "user";
    const acr = options.clientAuth === "public" ? "0" : options.clientAuth === "secret" ? "1" : "2";
    const claims: Record<string, unknown> = {
      aud: options.audience,
      iss: options.issuer,
      iat,
      nbf: iat,
      exp,
      appid: options.client.clientId,
      appidacr: acr,
      azp: options.client.clientId,
      azpacr: acr,
      idtyp: user ? "user" : "app",
      oid: options.subject.objectId,
      sub: options.subject.objectId,
      tid: options.subject.tenantId,
      uti: randomBytes(16).toString("base64url"),
      ver: "2.0",
      ...(user ? { scp: options.scp.join(" "), name: options.subject.name, preferred_username: options.subject.name } : { roles: [] }),
    };
    return { token: this.keys.sign(claims), expiresIn: this.lifetimeSec };
  }

  /** The ID token of a password-grant sign-in (MSAL builds the account from it and from client_info). */
  issueIdToken(options: { issuer: string; user: PrincipalRecord; clientId: string }): string {
    const iat = Math.floor(this.clock.now() / 1000);
    return this.keys.sign({
      aud: options.clientId,
      iss: options.issuer,
      iat,
      nbf: iat,
      exp: iat + this.lifetimeSec,
      name: options.user.name,
      oid: options.user.objectId,
      preferred_username: options.user.name,
      sub: options.user.objectId,
      tid: options.user.tenantId,
      ver: "2.0",
    });
  }
}
