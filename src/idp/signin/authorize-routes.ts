import { defineRoute, type HandlerContext, type Reply, type RouteSpec } from "../../http/route.js";
import { entraError } from "../../errors/entra-errors.js";
import type { Clock } from "../../util/clock.js";
import type { AuthorityKeys } from "../authority-keys.js";
import type { EntraPrincipals } from "../entra-principals.js";
import type { AppRegistrations } from "./app-registrations.js";
import type { AuthorizationCodes } from "./authorization-codes.js";
import { AuthorizePageError, AuthorizeRedirectError, readAuthorizeRequest, type AuthorizeRequest } from "./authorize-request.js";
import { formPostPage, messagePage, pageHeaders, signInPage } from "./signin-page.js";
import { checkCsrf, issueCsrf } from "./csrf.js";
import { checkThrottledPassword, throttledPage, type SigninGuessing } from "./signin-guessing.js";
import { parseCookies, type SigninKeys } from "./signin-keys.js";
import { SESSION_COOKIE, SigninSessions } from "./signin-sessions.js";

/** The same message for an unknown user and a wrong password. */
export const WRONG_CREDENTIALS = "Your username or password is incorrect.";

export interface AuthorizeDeps {
  keys: AuthorityKeys;
  principals: EntraPrincipals;
  apps: AppRegistrations;
  codes: AuthorizationCodes;
  sessions: SigninSessions;
  signinKeys: SigninKeys;
  clock: Clock;
  /** The token endpoint's password throttle, shared (absent when config.guessing is off). */
  guessing?: SigninGuessing;
}

type Params = Record<string, string | undefined>;

function flatten(query: Record<string, string | string[] | undefined>): Params {
  return Object.fromEntries(Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
}

function page(status: number, html: string, formTargets: string[] = [], extra: Record<string, string> = {}): Reply {
  return { status, rawBody: html, headers: { ...pageHeaders(formTargets), ...extra } };
}

/** Sends `fields` back to the app's redirect URI, as its response_mode asks. */
function respond(request: Pick<AuthorizeRequest, "redirectUri" | "responseMode">, fields: Params, extra: Record<string, string> = {}): Reply {
  const present = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<string, string>;
  if (request.responseMode === "form_post") return page(200, formPostPage(request.redirectUri, present), [new URL(request.redirectUri).origin], extra);
  const encoded = new URLSearchParams(present).toString();
  const url = new URL(request.redirectUri);
  let location: string;
  if (request.responseMode === "fragment") location = `${request.redirectUri}#${encoded}`;
  else location = `${request.redirectUri}${url.search === "" ? "?" : "&"}${encoded}`;
  return { status: 302, headers: { location, "cache-control": "no-store", ...extra } };
}

/** Step: the tenant and HTTPS, as the token endpoint checks them; a page, since a browser is on the other end. */
function checkTenant(ctx: HandlerContext<unknown>, keys: AuthorityKeys): void {
  if (ctx.request.protocol !== "https") throw new AuthorizePageError(entraError("HttpsOnly"));
  if ((ctx.params.tenant ?? "").toLowerCase() !== keys.tenantId) throw new AuthorizePageError(entraError("TenantNotFound", ctx.params.tenant ?? ""));
}

/** Runs a page of the authorize endpoint; a refusal's code goes to the request log line and metrics like the token endpoint's. */
async function guarded(ctx: HandlerContext<unknown>, fn: () => Promise<Reply>): Promise<Reply> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AuthorizePageError) {
      ctx.request.facts.errorCode = err.failure.logCode;
      return page(400, messagePage("Sign-in failed", err.failure.description));
    }
    if (err instanceof AuthorizeRedirectError) {
      ctx.request.facts.errorCode = err.failure.logCode;
      return respond(err.request, { error: err.failure.error, error_description: err.failure.description, state: err.request.state });
    }
    throw err;
  }
}

/**
 * The browser side of the authorization-code flow: the authorize endpoint (sign-in page on GET, the form's POST),
 * sign-out, and the pages' static files.
 */
export function authorizeRoutes(deps: AuthorizeDeps): RouteSpec[] {
  const tenantPath = () => `/${deps.keys.tenantId}/`;

  async function issueCode(ctx: HandlerContext<unknown>, req: AuthorizeRequest, userObjectId: string, extra: Record<string, string> = {}): Promise<Reply> {
    const code = await deps.codes.issue({
      clientId: req.client.clientId!,
      redirectUri: req.redirectUri,
      userObjectId,
      scope: req.scope,
      nonce: req.nonce,
      codeChallenge: req.codeChallenge,
    });
    ctx.setSubject(`entra-user:${userObjectId}`);
    ctx.annotate({ clientId: req.client.clientId!, outcome: "code-issued" });
    return respond(req, { code, state: req.state }, extra);
  }

  function renderForm(_ctx: HandlerContext<unknown>, req: AuthorizeRequest, status: number, error?: string, username?: string): Reply {
    const csrf = issueCsrf(deps.signinKeys, tenantPath());
    const html = signInPage({
      appName: req.client.name,
      action: `/${deps.keys.tenantId}/oauth2/v2.0/authorize`,
      hidden: req.carried,
      csrf: csrf.field,
      ...(error !== undefined ? { error } : {}),
      ...((username ?? req.loginHint) !== undefined ? { username: (username ?? req.loginHint)! } : {}),
    });
    // The form posts here and is redirected to the app: form-action must allow the redirect URI's origin.
    return page(status, html, [new URL(req.redirectUri).origin], { "set-cookie": csrf.setCookie });
  }

  async function sessionUser(ctx: HandlerContext<unknown>): Promise<string | undefined> {
    const oid = await deps.sessions.userOf(parseCookies(ctx.headers.cookie).get(SESSION_COOKIE));
    if (oid === undefined) return undefined;
    const user = await deps.principals.find(oid);
    return user !== undefined && user.kind === "user" && user.enabled ? oid : undefined;
  }

  return [
    defineRoute({
      operation: "idp.authorize",
      method: "GET",
      url: "/:tenant/oauth2/v2.0/authorize",
      auth: "none",
      requireApiVersion: false,
      handle: (ctx) =>
        guarded(ctx, async () => {
          checkTenant(ctx, deps.keys);
          const req = await readAuthorizeRequest(flatten(ctx.query), deps.principals, deps.apps);
          const user = await sessionUser(ctx);
          if (req.prompt === "none") {
            if (user === undefined) throw new AuthorizeRedirectError(req, entraError("LoginRequired"));
            return issueCode(ctx, req, user);
          }
          // Single sign-on: a live session answers at once unless the app asks for the form.
          if (user !== undefined && req.prompt !== "login" && req.prompt !== "select_account") return issueCode(ctx, req, user);
          return renderForm(ctx, req, 200);
        }),
    }),
    defineRoute({
      operation: "idp.authorize.signin",
      method: "POST",
      url: "/:tenant/oauth2/v2.0/authorize",
      auth: "none",
      requireApiVersion: false,
      bodyFormat: "form",
      handle: (ctx) =>
        guarded(ctx, async () => {
          checkTenant(ctx, deps.keys);
          const form = (ctx.body ?? {}) as Params;
          const req = await readAuthorizeRequest(form, deps.principals, deps.apps);
          if (!checkCsrf(deps.signinKeys, ctx.headers.cookie, form.csrf)) {
            ctx.annotate({ outcome: "csrf-refused" });
            return renderForm(ctx, req, 403, "Your sign-in page expired. Please sign in again.");
          }
          const check = await checkThrottledPassword(deps.guessing, ctx, deps.principals, form.username ?? "", form.password ?? "");
          if (check.kind === "throttled") {
            ctx.annotate({ clientId: req.client.clientId!, outcome: "throttled" });
            return throttledPage(renderForm(ctx, req, 429, check.message, form.username), check.retryAfterSec);
          }
          if (check.kind === "wrong") {
            ctx.annotate({ clientId: req.client.clientId!, outcome: "wrong-credentials" });
            return renderForm(ctx, req, 200, WRONG_CREDENTIALS, form.username);
          }
          const user = check.user;
          const session = await deps.sessions.start(user.objectId);
          return issueCode(ctx, req, user.objectId, { "set-cookie": SigninSessions.setCookie(session, tenantPath()) });
        }),
    }),
    defineRoute({
      operation: "idp.logout",
      method: "GET",
      url: "/:tenant/oauth2/v2.0/logout",
      auth: "none",
      requireApiVersion: false,
      handle: (ctx) =>
        guarded(ctx, async () => {
          checkTenant(ctx, deps.keys);
          await deps.sessions.end(parseCookies(ctx.headers.cookie).get(SESSION_COOKIE));
          const clear = { "set-cookie": SigninSessions.clearCookie(tenantPath()) };
          const target = flatten(ctx.query).post_logout_redirect_uri;
          if (target !== undefined && (await deps.apps.allRedirectUris()).has(target)) {
            return { status: 302, headers: { location: target, "cache-control": "no-store", ...clear } };
          }
          return page(200, messagePage("Signed out", "You have signed out. You can close this window."), [], clear);
        }),
    }),
  ];
}
