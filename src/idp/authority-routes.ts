import { randomUUID } from "node:crypto";
import { defineRoute, type HandlerContext, type Reply, type RouteSpec } from "../http/route.js";
import { HashQueueFull, type GuessThrottle } from "../security/guess-throttle.js";
import type { Clock } from "../util/clock.js";
import type { AuthorityKeys } from "./authority-keys.js";
import { managementResources } from "../management/arm-audiences.js";
import { authorityIssuer, parseScopeRequest, type AuthorityTokens } from "./authority-tokens.js";
import { CLIENT_ASSERTION_TYPE, verifyClientAssertion } from "./client-assertion.js";
import type { EntraPrincipals, PrincipalRecord } from "./entra-principals.js";
import { runSigninStep } from "./signin/entra-reply.js";
import type { SigninGrant } from "./signin/signin-grant.js";
import { hashSource } from "./secret-hash.js";

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

/** The Entra error shape MSAL parses: `{"error","error_description","error_codes",…}`. invalid_client is 401. */
function entraError(error: string, description: string, now: number, retryAfterSec?: number): Reply {
  const code = Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0);
  return {
    status: retryAfterSec !== undefined ? 429 : error === "invalid_client" ? 401 : 400,
    headers: { "cache-control": "no-store", ...(retryAfterSec !== undefined ? { "retry-after": String(retryAfterSec) } : {}) },
    body: {
      error,
      error_description: description,
      error_codes: code === 0 ? [] : [code],
      timestamp: new Date(now).toISOString().replace("T", " ").slice(0, 19) + "Z",
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    },
  };
}

class EntraFailure extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly retryAfterSec?: number,
  ) {
    super(error);
  }
}

const lockedOut = (retryAfterSec: number): never => {
  throw new EntraFailure(
    "invalid_grant",
    `AADSTS50053: The account is locked because of too many sign-in attempts with an incorrect secret or password. Retry after ${retryAfterSec} seconds.`,
    retryAfterSec,
  );
};
const fail = (error: string, description: string): never => {
  throw new EntraFailure(error, description);
};

/** Step: the authority answers on HTTPS only (secrets must not cross plain HTTP) and for its own tenant only. */
function requireTenant(ctx: HandlerContext<unknown>, keys: AuthorityKeys): string {
  if (ctx.request.protocol !== "https") fail("invalid_request", "AADSTS90010: The authority is served over HTTPS only.");
  const tenant = ctx.params.tenant ?? "";
  if (tenant.toLowerCase() !== keys.tenantId) fail("invalid_request", `AADSTS90002: Tenant '${tenant.slice(0, 64)}' not found.`);
  return keys.tenantId;
}

/**
 * Runs an authority endpoint; a refusal from any step is rendered once, in the Entra error shape, and its code
 * (`AADSTS7000215`, or the OAuth error when there is none) goes to the request log line and the metrics.
 */
async function run(ctx: HandlerContext<unknown>, clock: Clock, fn: () => Promise<Reply> | Reply): Promise<Reply> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HashQueueFull) {
      ctx.request.facts.errorCode = "AADSTS50196";
      return entraError("temporarily_unavailable", "AADSTS50196: Too many requests are being checked at once. Retry shortly.", clock.now(), 1);
    }
    if (!(err instanceof EntraFailure)) throw err;
    ctx.request.facts.errorCode = /AADSTS\d+/.exec(err.description)?.[0] ?? err.error;
    return entraError(err.error, err.description, clock.now(), err.retryAfterSec);
  }
}

/** Step: who the client is (client_credentials: secret or certificate; password: a registered public client). */
async function authenticateClient(form: Form, grant: string, tokenEndpoint: string, issuer: string, deps: AuthorityDeps) {
  const clientId = form.client_id ?? "";
  if (clientId === "") fail("invalid_request", "AADSTS900144: The request body must contain the following parameter: 'client_id'.");
  const client = await deps.principals.findByClientId(clientId);
  const unknown = `AADSTS700016: Application with identifier '${clientId.slice(0, 64)}' was not found in the directory.`;
  if (grant === "password") {
    // Users sign in to applications only: a managed identity (or any other kind) is no client of the password grant.
    if (client === undefined || client.kind !== "service-principal") fail("unauthorized_client", unknown);
    if (!client!.enabled) fail("unauthorized_client", `AADSTS7000112: Application '${clientId}' is disabled.`);
    return { client: client!, auth: "public" as const };
  }
  if (form.client_secret !== undefined) {
    const check = await deps.principals.checkClientSecret(clientId, form.client_secret);
    if (check.ok) return { client: check.principal, auth: "secret" as const };
    switch (check.reason) {
      case "unknown-client":
        return fail("invalid_client", unknown);
      case "disabled":
        return fail("invalid_client", `AADSTS7000112: Application '${clientId}' is disabled.`);
      case "expired-secret":
        return fail("invalid_client", `AADSTS7000222: The provided client secret keys for app '${clientId}' are expired.`);
      default:
        return fail("invalid_client", `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    }
  }
  if (form.client_assertion !== undefined) {
    if (form.client_assertion_type !== CLIENT_ASSERTION_TYPE) fail("invalid_request", "AADSTS50027: client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.");
    if (client === undefined) fail("invalid_client", unknown);
    const check = await verifyClientAssertion(form.client_assertion, client!, [tokenEndpoint, issuer], deps.clock);
    if (!check.ok) fail("invalid_client", check.description);
    if (!client!.enabled) fail("invalid_client", `AADSTS7000112: Application '${clientId}' is disabled.`);
    return { client: client!, auth: "certificate" as const };
  }
  return fail("invalid_client", "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
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
    return runSigninStep(() => deps.clock.now(), () => userGrant(form, request));
  }
  if (grant !== "client_credentials" && grant !== "password") {
    fail("unsupported_grant_type", `AADSTS70003: The app requested an unsupported grant type '${grant.slice(0, 40)}'.`);
  }
  // Secrets and passwords can be guessed: per client, per user name and per source, failures lock out (back-off).
  const guessable = form.client_secret !== undefined || grant === "password";
  const keys = guessable && deps.guessing !== undefined ? guessKeys(form, grant, deps.guessing.sourceOf(ctx)) : [];
  if (keys.length > 0) {
    const wait = deps.guessing!.throttle.attempt(keys);
    if (wait !== undefined) {
      ctx.annotate({ throttled: true });
      lockedOut(wait);
    }
  }
  const source = keys.find((k) => k.startsWith("source:")) ?? "";
  const { client, auth } = await hashSource.run(source, () => authenticateClient(form, grant, tokenEndpoint, issuer, deps));
  ctx.annotate({ grant, clientId: client.clientId! });
  const scope = parseScopeRequest(form.scope, grant === "password" ? "user" : "app", managementResources(ctx.baseUrl));
  if (!scope.ok) return fail("invalid_scope", scope.description);

  let subject: PrincipalRecord = client;
  if (grant === "password") {
    const user = await hashSource.run(source, () => deps.principals.checkUserPassword(form.username ?? "", form.password ?? ""));
    if (user === undefined) fail("invalid_grant", "AADSTS50126: Error validating credentials due to invalid username or password.");
    if (!user!.enabled) fail("invalid_grant", "AADSTS50057: The user account is disabled.");
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
