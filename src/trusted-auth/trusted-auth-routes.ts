import { bearerToken } from "../auth/bearer-header.js";
import type { EntraTokenVerifier } from "../auth/bearer/entra-token-verifier.js";
import type { Principal } from "../auth/principal.js";
import { AcsError } from "../errors/acs-errors.js";
import { defineRoute, type HandlerContext, type Reply, type RouteSpec } from "../http/route.js";
import type { IdentityService } from "../identity/identity-service.js";
import type { TokenExchange } from "../idp/token-exchange.js";
import type { TrustedAuthSettings, TrustedAuthStore } from "./trusted-auth-store.js";

/** The hero sample's API lives under this path of every resource's endpoint. */
export const TRUSTED_AUTH_BASE = "/trusted-auth";
/** The delegated scope the API app exposes; callers' tokens must carry it. */
export const TRUSTED_AUTH_SCOPE = "access_as_user";
const TEAMS_TOKEN_HEADER = "teams-user-aad-token";
const TOKEN_MINUTES = 1440;

export interface TrustedAuthDeps {
  store: TrustedAuthStore;
  verifier: EntraTokenVerifier;
  identities: IdentityService;
  exchange: TokenExchange;
}

interface Caller {
  settings: TrustedAuthSettings;
  issuer: string;
  tenantId: string;
  objectId: string;
  appId: string | undefined;
}

/** The operator principal the service acts as when it creates identities and tokens on the caller's behalf. */
const SERVICE: Principal = { kind: "operator", name: "trusted-auth" };

/**
 * Authenticates the caller: an Entra user token for the API app (`aud` = its client id or `api://<clientId>`), from
 * the built-in authority or a trusted issuer, with `access_as_user` in `scp`. Signature, issuer, audience and
 * expiry are checked by the one verifier; the hero sample itself checks only the signature.
 */
async function authenticate(ctx: HandlerContext<unknown>, deps: TrustedAuthDeps): Promise<Caller> {
  const settings = await deps.store.settings(ctx.resource.id);
  if (settings === undefined) throw new AcsError("NotFound", "The trusted authentication service is not enabled for this resource (switchboard trusted-auth info).");
  const token = bearerToken(ctx.headers);
  if (token === undefined) throw new AcsError(ctx.headers.authorization === undefined ? "MissingAuthorization" : "UnsupportedAuthorizationScheme");
  // A trusted issuer's token must carry an audience configured for this service (per resource, or the issuer's
  // trustedAuthAudiences), never one of the ACS APIs'.
  const checked = await deps.verifier.verify(token, "trustedAuth", {
    builtIn: [settings.clientId, `api://${settings.clientId}`],
    external: settings.externalAudiences,
  });
  if (!checked.ok) throw new AcsError(checked.code);
  if (checked.principal.principalType !== "user") throw new AcsError("UserTokenRequired");
  const scp = typeof checked.claims.scp === "string" ? checked.claims.scp.split(" ") : [];
  if (!scp.includes(TRUSTED_AUTH_SCOPE)) throw new AcsError("InsufficientScope", `The token must carry the scope ${TRUSTED_AUTH_SCOPE}.`);
  ctx.annotate({ entraUser: checked.principal.objectId });
  return {
    settings,
    issuer: checked.principal.issuer,
    tenantId: checked.principal.tenantId ?? "",
    objectId: checked.principal.objectId,
    appId: checked.principal.appId,
  };
}

function route(method: "GET" | "POST" | "DELETE", path: string, operation: string, deps: TrustedAuthDeps, fn: (ctx: HandlerContext<unknown>, caller: Caller) => Promise<Reply>): RouteSpec {
  return defineRoute({
    operation,
    method,
    url: `${TRUSTED_AUTH_BASE}${path}`,
    auth: "none",
    requireApiVersion: false,
    bodyFormat: "raw",
    handle: async (ctx) => fn(ctx, await authenticate(ctx, deps)),
  });
}

/**
 * The "Trusted authentication service" hero sample's API (same paths, status codes and JSON): each Entra user maps
 * to one ACS identity per resource, stored here; the sample's MinimalClient works by changing its server address.
 */
export function trustedAuthRoutes(deps: TrustedAuthDeps): RouteSpec[] {
  const mapped = async (ctx: HandlerContext<unknown>, c: Caller) => {
    const m = await deps.store.find(ctx.resource.id, c.issuer, c.objectId);
    if (m !== undefined) ctx.setSubject(m.acsUserIdentity);
    return m;
  };
  return [
    route("GET", "/api/user", "trusted-auth.user.get", deps, async (ctx, c) => {
      const m = await mapped(ctx, c);
      if (m === undefined) throw new AcsError("IdentityNotFound", "This user has no ACS identity yet (POST /api/user).");
      return { status: 200, body: { acsUserIdentity: m.acsUserIdentity } };
    }),
    route("POST", "/api/user", "trusted-auth.user.create", deps, async (ctx, c) => {
      const existing = await mapped(ctx, c);
      if (existing !== undefined) return { status: 200, body: { acsUserIdentity: existing.acsUserIdentity } };
      const created = await deps.identities.create(ctx.resource, SERVICE, {});
      const { mapping, created: isNew } = await deps.store.insert({ resourceId: ctx.resource.id, issuer: c.issuer, tenantId: c.tenantId, objectId: c.objectId, acsUserIdentity: created.id });
      // A concurrent request won the race: the identity created here is not used.
      if (!isNew) await deps.identities.delete(ctx.resource, created.id);
      ctx.setSubject(mapping.acsUserIdentity);
      ctx.annotate({ mapping: isNew ? "created" : "existing" });
      return { status: isNew ? 201 : 200, body: { acsUserIdentity: mapping.acsUserIdentity } };
    }),
    route("DELETE", "/api/user", "trusted-auth.user.delete", deps, async (ctx, c) => {
      const m = await mapped(ctx, c);
      if (m === undefined) throw new AcsError("IdentityNotFound", "This user has no ACS identity.");
      await deps.store.remove(ctx.resource.id, c.issuer, c.objectId);
      await deps.identities.delete(ctx.resource, m.acsUserIdentity).catch((err: unknown) => {
        if (!(err instanceof AcsError && err.code === "IdentityNotFound")) throw err;
      });
      ctx.annotate({ mapping: "deleted" });
      return { status: 204 };
    }),
    route("GET", "/api/token", "trusted-auth.token", deps, async (ctx, c) => {
      const m = await mapped(ctx, c);
      if (m === undefined) throw new AcsError("IdentityNotFound", "This user has no ACS identity yet (POST /api/user).");
      const issued = await deps.identities.issueToken(ctx.resource, SERVICE, m.acsUserIdentity, c.settings.scopes, TOKEN_MINUTES);
      // expiresOn: the activity summary counts this as a token issued to the identity.
      ctx.annotate({ scopes: c.settings.scopes, expiresOn: issued.expiresOn });
      return { status: 201, body: { token: issued.token, expiresOn: issued.expiresOn, user: { communicationUserId: m.acsUserIdentity } } };
    }),
    route("GET", "/api/token/teams", "trusted-auth.token.teams", deps, async (ctx, c) => {
      const teamsToken = ctx.headers[TEAMS_TOKEN_HEADER];
      if (typeof teamsToken !== "string" || teamsToken === "") throw new AcsError("InvalidRequestBody", `The ${TEAMS_TOKEN_HEADER} header is required.`);
      const issued = await deps.exchange.exchangeTeamsToken(ctx.resource, { token: teamsToken, appId: c.appId ?? "", userId: c.objectId });
      ctx.setSubject(issued.identity);
      ctx.annotate({ expiresOn: issued.expiresOn });
      return { status: 201, body: { token: issued.token, expiresOn: issued.expiresOn } };
    }),
  ];
}
