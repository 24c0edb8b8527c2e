import { entraError, entraFail } from "../errors/entra-errors.js";
import { defineRoute, type HandlerContext, type Reply, type RouteSpec } from "../http/route.js";
import { HashQueueFull, type GuessThrottle } from "../security/guess-throttle.js";
import type { Clock } from "../util/clock.js";
import type { AuthorityKeys } from "./authority-keys.js";
import { managementResources } from "../management/arm-audiences.js";
import { authorityIssuer, parseScopeRequest, type AuthorityTokens } from "./authority-tokens.js";
import { CLIENT_ASSERTION_TYPE, verifyClientAssertion } from "./client-assertion.js";
import type { EntraPrincipals, PrincipalRecord } from "./entra-principals.js";
import { runEntraStep } from "./entra-reply.js";
import type { SigninGrant } from "./signin/signin-grant.js";

export interface AuthorityDeps {
  keys: AuthorityKeys;
  principals: EntraPrincipals;
  tokens: AuthorityTokens;
  clock: Clock;
  /** The user grants of src/idp/signin/ (authorization_code, refresh_token, device code), by grant_type. */
  grants?: Record<string, SigninGrant>;
  /** Guess throttling (security/guess-throttle.ts) and the client's address (behind trusted proxies). */
  guessing?: { throttle: GuessThrottle; sourceOf: (ctx: HandlerContext<unknown>) => string | undefined };
}

type Form = Record<string, string | undefined>;

/** Step: the authority answers on HTTPS only (secrets must not cross plain HTTP) and for its own tenant only. */
function requireTenant(ctx: HandlerContext<unknown>, keys: AuthorityKeys): string {
  if (ctx.request.protocol !== "https") entraFail("HttpsOnly");
  const tenant = ctx.params.tenant ?? "";
  if (tenant.toLowerCase() !== keys.tenantId) entraFail("TenantNotFound", tenant);
  return keys.tenantId;
}

/**
 * Runs an authority endpoint; a refusal from any step (the user grants' included) is rendered once, in the Entra
 * error shape, and its code (`AADSTS7000215`, or the OAuth error when there is none) goes to the request log line and
 * the metrics (entra-reply.ts).
 */
function run(ctx: HandlerContext<unknown>, clock: Clock, fn: () => Promise<Reply> | Reply): Promise<Reply> {
  return runEntraStep(ctx, () => clock.now(), async () => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof HashQueueFull) throw entraError("HashQueueFull").retryAfter(1);
      throw err;
    }
  });
}

/** Step: who the client is (client_credentials: secret or certificate; password: a registered public client). */
async function authenticateClient(form: Form, grant: string, tokenEndpoint: string, issuer: string, deps: AuthorityDeps, source: string) {
  const clientId = form.client_id ?? "";
  if (clientId === "") entraFail("MissingParameter", "client_id");
  const client = await deps.principals.findByClientId(clientId);
  if (grant === "password") {
    // Users sign in to applications only: a managed identity (or any other kind) is no client of the password grant.
    if (client === undefined || client.kind !== "service-principal") entraFail("ApplicationNotFound", clientId);
    if (!client!.enabled) entraFail("ApplicationDisabled", clientId);
    return { client: client!, auth: "public" as const };
  }
  if (form.client_secret !== undefined) {
    const check = await deps.principals.checkClientSecret(clientId, form.client_secret, source);
    if (check.ok) return { client: check.principal, auth: "secret" as const };
    switch (check.reason) {
      case "unknown-client":
        return entraFail("ClientNotFound", clientId);
      case "disabled":
        return entraFail("ClientDisabled", clientId);
      case "expired-secret":
        return entraFail("ClientSecretExpired", clientId);
      default:
        return entraFail("InvalidClientSecret", clientId);
    }
  }
  if (form.client_assertion !== undefined) {
    if (form.client_assertion_type !== CLIENT_ASSERTION_TYPE) entraFail("InvalidClientAssertionType");
    if (client === undefined) entraFail("ClientNotFound", clientId);
    const check = await verifyClientAssertion(form.client_assertion, client!, [tokenEndpoint, issuer], deps.clock);
    if (!check.ok) throw check.failure;
    if (!client!.enabled) entraFail("ClientDisabled", clientId);
    return { client: client!, auth: "certificate" as const };
  }
  return entraFail("ClientCredentialMissing");
}

/** What an attempt counts against: the client id, the user name (password grant) and the source address. */
function guessKeys(form: Form, grant: string, source: string | undefined): string[] {
  const keys = [`client:${(form.client_id ?? "").slice(0, 200).toLowerCase()}`];
  if (grant === "password") keys.push(`user:${(form.username ?? "").slice(0, 200).toLowerCase()}`);
  if (source !== undefined) keys.push(`source:${source}`);
  return keys;
}

async function issueTokens(form: Form, ctx: HandlerContext<unknown>, deps: AuthorityDeps): Promise<Reply> {
  const tenantId = requireTenant(ctx, deps.keys);
  const issuer = authorityIssuer(ctx.baseUrl, tenantId);
  const tokenEndpoint = `${ctx.baseUrl}/${tenantId}/oauth2/v2.0/token`;
  const grant = form.grant_type ?? "";
  const userGrant = Object.hasOwn(deps.grants ?? {}, grant) ? deps.grants![grant] : undefined;
  if (userGrant !== undefined) {
    const origin = typeof ctx.headers.origin === "string" ? ctx.headers.origin : undefined;
    const request = { issuer, tenantId, origin, annotate: ctx.annotate, setSubject: ctx.setSubject };
    return userGrant(form, request);
  }
  if (grant !== "client_credentials" && grant !== "password") {
    entraFail("UnsupportedGrantType", grant);
  }
  // Secrets and passwords can be guessed: per client, per user name and per source, failures lock out (back-off).
  const guessable = form.client_secret !== undefined || grant === "password";
  const keys = guessable && deps.guessing !== undefined ? guessKeys(form, grant, deps.guessing.sourceOf(ctx)) : [];
  if (keys.length > 0) {
    const wait = deps.guessing!.throttle.attempt(keys);
    if (wait !== undefined) {
      ctx.annotate({ throttled: true });
      throw entraError("AccountLocked", wait).retryAfter(wait);
    }
  }
  const source = keys.find((k) => k.startsWith("source:")) ?? "";
  const { client, auth } = await authenticateClient(form, grant, tokenEndpoint, issuer, deps, source);
  ctx.annotate({ grant, clientId: client.clientId! });
  const scope = parseScopeRequest(form.scope, grant === "password" ? "user" : "app", managementResources(ctx.baseUrl));
  if (!scope.ok) throw scope.failure;

  let subject: PrincipalRecord = client;
  if (grant === "password") {
    const user = await deps.principals.checkUserPassword(form.username ?? "", form.password ?? "", source);
    if (user === undefined) entraFail("InvalidUserCredentials");
    if (!user!.enabled) entraFail("UserDisabled");
    subject = user!;
  }
  if (keys.length > 0) {
    deps.guessing!.throttle.succeeded(keys.filter((k) => !k.startsWith("source:")));
    deps.guessing!.throttle.forgive(keys.filter((k) => k.startsWith("source:")));
  }
  ctx.setSubject(subject.kind === "user" ? `entra-user:${subject.objectId}` : `sp:${subject.objectId}`);
  const access = deps.tokens.issueAccessToken({ issuer, audience: scope.audience, subject, client, scp: scope.scp, clientAuth: auth });
  const body: Record<string, unknown> = {
    token_type: "Bearer",
    expires_in: access.expiresIn,
    ext_expires_in: access.expiresIn,
    access_token: access.token,
  };
  if (grant === "password") {
    body.scope = scope.resourceScopes.join(" ");
    body.id_token = deps.tokens.issueIdToken({ issuer, user: subject, clientId: client.clientId! });
    body.client_info = Buffer.from(JSON.stringify({ uid: subject.objectId, utid: tenantId })).toString("base64url");
  }
  return { status: 200, body, headers: { "cache-control": "no-store", pragma: "no-cache" } };
}

/** The built-in authority: OpenID discovery, the token endpoint and the key set (docs/wire-reference.md §7). */
export function authorityRoutes(deps: AuthorityDeps): RouteSpec[] {
  return [
    defineRoute({
      operation: "idp.discovery",
      method: "GET",
      url: "/:tenant/v2.0/.well-known/openid-configuration",
      auth: "none",
      requireApiVersion: false,
      handle: (ctx) =>
        run(ctx, deps.clock, () => {
          const tenantId = requireTenant(ctx, deps.keys);
          const base = `${ctx.baseUrl}/${tenantId}`;
          return {
            status: 200,
            body: {
              issuer: authorityIssuer(ctx.baseUrl, tenantId),
              token_endpoint: `${base}/oauth2/v2.0/token`,
              authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
              jwks_uri: `${base}/discovery/v2.0/keys`,
              userinfo_endpoint: `${base}/oidc/userinfo`,
              end_session_endpoint: `${base}/oauth2/v2.0/logout`,
              device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
              response_types_supported: ["code", "token"],
              response_modes_supported: ["query", "fragment", "form_post"],
              code_challenge_methods_supported: ["S256"],
              grant_types_supported: ["client_credentials", "password", ...Object.keys(deps.grants ?? {})],
              subject_types_supported: ["pairwise"],
              id_token_signing_alg_values_supported: ["RS256"],
              token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt"],
              scopes_supported: ["openid", "profile", "offline_access"],
              claims_supported: ["sub", "oid", "tid", "name", "preferred_username", "nonce", "aud", "iss", "iat", "exp"],
              tenant_region_scope: null,
            },
            // Public documents: single-page apps of any origin read them (msal-browser).
            headers: { "access-control-allow-origin": "*" },
          };
        }),
    }),
    defineRoute({
      operation: "idp.keys",
      method: "GET",
      url: "/:tenant/discovery/v2.0/keys",
      auth: "none",
      requireApiVersion: false,
      handle: (ctx) =>
        run(ctx, deps.clock, () => {
          requireTenant(ctx, deps.keys);
          return { status: 200, body: deps.keys.jwks(), headers: { "cache-control": "public, max-age=300", "access-control-allow-origin": "*" } };
        }),
    }),
    defineRoute({
      operation: "idp.token",
      method: "POST",
      url: "/:tenant/oauth2/v2.0/token",
      auth: "none",
      requireApiVersion: false,
      bodyFormat: "form",
      handle: (ctx) => run(ctx, deps.clock, () => issueTokens((ctx.body ?? {}) as Form, ctx, deps)),
    }),
  ];
}
