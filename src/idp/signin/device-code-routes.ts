import { defineRoute, type HandlerContext, type Reply, type RouteSpec } from "../../http/route.js";
import type { Clock } from "../../util/clock.js";
import type { AuthorityKeys } from "../authority-keys.js";
import type { EntraPrincipals } from "../entra-principals.js";
import type { AppRegistrations } from "./app-registrations.js";
import { checkCsrf, issueCsrf } from "./csrf.js";
import { formatUserCode, type DeviceCodes } from "./device-codes.js";
import { entraError, entraFail } from "../../errors/entra-errors.js";
import { runEntraStep } from "../entra-reply.js";
import { findSigninApp } from "./signin-client.js";
import { checkThrottledPassword, throttledPage, type SigninGuessing } from "./signin-guessing.js";
import type { SigninKeys } from "./signin-keys.js";
import { deviceCodePage, messagePage, pageHeaders, signInPage } from "./signin-page.js";
import { SigninSessions } from "./signin-sessions.js";
import { resolveUserScopes } from "./user-scopes.js";
import { WRONG_CREDENTIALS } from "./authorize-routes.js";

/** How often the device polls (seconds). Entra ID says 5; a local server can answer sooner. */
export const DEVICE_POLL_INTERVAL_SEC = 1;

export interface DeviceCodeDeps {
  keys: AuthorityKeys;
  principals: EntraPrincipals;
  apps: AppRegistrations;
  deviceCodes: DeviceCodes;
  sessions: SigninSessions;
  signinKeys: SigninKeys;
  clock: Clock;
  /** The token endpoint's password throttle, shared (absent when config.guessing is off). */
  guessing?: SigninGuessing;
}

type Form = Record<string, string | undefined>;

/** The device code flow: the device asks for a code (devicecode), the user enters it on the devicelogin page. */
export function deviceCodeRoutes(deps: DeviceCodeDeps): RouteSpec[] {
  const tenantPath = () => `/${deps.keys.tenantId}/`;
  const action = () => `/${deps.keys.tenantId}/devicelogin`;
  const wrongTenant = (ctx: HandlerContext<unknown>) =>
    ctx.request.protocol !== "https" || (ctx.params.tenant ?? "").toLowerCase() !== deps.keys.tenantId;

  const page = (status: number, html: string, setCookie?: string): Reply => ({
    status,
    rawBody: html,
    headers: { ...pageHeaders(), ...(setCookie !== undefined ? { "set-cookie": setCookie } : {}) },
  });
  const tenantNotFound = (ctx: HandlerContext<unknown>): Reply => {
    const failure = entraError("TenantNotFoundPage");
    ctx.request.facts.errorCode = failure.logCode;
    return page(400, messagePage("Sign-in failed", failure.description));
  };
  const codeForm = (status: number, error?: string) => {
    const csrf = issueCsrf(deps.signinKeys, tenantPath());
    return page(status, deviceCodePage({ action: action(), csrf: csrf.field, ...(error !== undefined ? { error } : {}) }), csrf.setCookie);
  };
  const signInForm = (appName: string, userCode: string, error?: string, username?: string) => {
    const csrf = issueCsrf(deps.signinKeys, tenantPath());
    const html = signInPage({ appName, action: action(), hidden: { user_code: userCode }, csrf: csrf.field, ...(error !== undefined ? { error } : {}), ...(username !== undefined ? { username } : {}) });
    return page(200, html, csrf.setCookie);
  };

  return [
    defineRoute({
      operation: "idp.devicecode",
      method: "POST",
      url: "/:tenant/oauth2/v2.0/devicecode",
      auth: "none",
      requireApiVersion: false,
      bodyFormat: "form",
      handle: (ctx) =>
        runEntraStep(ctx, () => deps.clock.now(), async () => {
          if (wrongTenant(ctx)) entraFail("TenantNotFoundOrHttp");
          const form = (ctx.body ?? {}) as Form;
          const { client } = await findSigninApp(form.client_id, deps.principals, deps.apps);
          const scopes = await resolveUserScopes(form.scope, client.clientId!, deps.apps);
          if (!scopes.ok) throw scopes.failure;
          const started = await deps.deviceCodes.start(client.clientId!, form.scope!);
          const verificationUri = `${ctx.baseUrl}${action()}`;
          ctx.annotate({ clientId: client.clientId! });
          return {
            status: 200,
            headers: { "cache-control": "no-store" },
            body: {
              user_code: formatUserCode(started.userCode),
              device_code: started.deviceCode,
              verification_uri: verificationUri,
              expires_in: started.expiresInSec,
              interval: DEVICE_POLL_INTERVAL_SEC,
              message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${formatUserCode(started.userCode)} to authenticate.`,
            },
          };
        }),
    }),
    defineRoute({
      operation: "idp.devicelogin",
      method: "GET",
      url: "/:tenant/devicelogin",
      auth: "none",
      requireApiVersion: false,
      handle: (ctx) => (wrongTenant(ctx) ? tenantNotFound(ctx) : codeForm(200)),
    }),
    defineRoute({
      operation: "idp.devicelogin.submit",
      method: "POST",
      url: "/:tenant/devicelogin",
      auth: "none",
      requireApiVersion: false,
      bodyFormat: "form",
      async handle(ctx): Promise<Reply> {
        if (wrongTenant(ctx)) return tenantNotFound(ctx);
        const form = (ctx.body ?? {}) as Form;
        if (!checkCsrf(deps.signinKeys, ctx.headers.cookie, form.csrf)) return codeForm(403, "Your sign-in page expired. Please enter the code again.");
        const pending = await deps.deviceCodes.pending(form.user_code ?? "");
        if (pending === undefined) return codeForm(200, "That code is not valid or has expired. Check the code and try again.");
        const client = await deps.principals.findByClientId(pending.clientId);
        const appName = client?.name ?? pending.clientId;
        if (form.username === undefined) return signInForm(appName, pending.userCode);
        const check = await checkThrottledPassword(deps.guessing, ctx, deps.principals, form.username, form.password ?? "");
        if (check.kind === "throttled") {
          ctx.annotate({ clientId: pending.clientId, outcome: "throttled" });
          return throttledPage(signInForm(appName, pending.userCode, check.message, form.username), check.retryAfterSec);
        }
        if (check.kind === "wrong") {
          ctx.annotate({ clientId: pending.clientId, outcome: "wrong-credentials" });
          return signInForm(appName, pending.userCode, WRONG_CREDENTIALS, form.username);
        }
        const user = check.user;
        if (!(await deps.deviceCodes.approve(pending.userCode, user.objectId))) return codeForm(200, "That code is not valid or has expired.");
        ctx.setSubject(`entra-user:${user.objectId}`);
        ctx.annotate({ clientId: pending.clientId, outcome: "device-approved" });
        const session = await deps.sessions.start(user.objectId);
        return page(200, messagePage("You're signed in", `You have signed in to ${appName} on your device. You can close this window.`), SigninSessions.setCookie(session, tenantPath()));
      },
    }),
  ];
}
