import { createHash, randomBytes } from "node:crypto";
import type { EntraPrincipals } from "../idp/entra-principals.js";
import type { AppRegistrations } from "../idp/signin/app-registrations.js";
import type { AuthorizationCodes } from "../idp/signin/authorization-codes.js";
import { defineRoute, type HandlerContext, type Reply, type RouteSpec } from "../http/route.js";
import { constantTimeEqual } from "../util/crypto.js";
import { ConsoleAuth, parseCookie } from "./console-auth.js";
import { layout, pageHeaders } from "./console-html.js";

/** The console as an application of the built-in authority: a public client signing users in with code + PKCE. */
export const CONSOLE_APP_NAME = "Switchboard console";
const LOGIN_COOKIE = "sb_console_login";
const CALLBACK_PATH = "/console/signin/callback";

export interface UserSigninDeps {
  auth: ConsoleAuth;
  principals: EntraPrincipals;
  apps: AppRegistrations;
  codes: AuthorizationCodes;
  tenantId(): string;
  secure(handle: (ctx: HandlerContext<unknown>) => Promise<Reply> | Reply): (ctx: HandlerContext<unknown>) => Promise<Reply> | Reply;
}

function refused(message: string): Reply {
  return { status: 400, rawBody: layout({ title: "Sign-in failed" }, `<p role="alert">${message}</p><p><a href="/console/login">Try again</a></p>`), headers: pageHeaders() };
}

/**
 * `/console/login` sends the browser to the authority's sign-in page (authorization code flow with PKCE, state in a
 * short-lived HttpOnly cookie); `/console/signin/callback` redeems the code in-process and starts a console session
 * acting as that user, whose role assignments then decide every action.
 */
export function userSigninRoutes(deps: UserSigninDeps): RouteSpec[] {
  /** The console's client id, registered on first use with this origin's callback among its redirect URIs. */
  async function consoleClient(redirectUri: string): Promise<string> {
    let sp = (await deps.principals.list("service-principal")).find((p) => p.name === CONSOLE_APP_NAME);
    if (sp === undefined) {
      try {
        sp = (await deps.principals.createServicePrincipal({ name: CONSOLE_APP_NAME, publicClient: true })).principal;
      } catch (err) {
        sp = (await deps.principals.list("service-principal")).find((p) => p.name === CONSOLE_APP_NAME);
        if (sp === undefined) throw err;
      }
    }
    const clientId = sp.clientId!;
    const app = await deps.apps.get(clientId);
    if (app === undefined || !app.redirectUris.includes(redirectUri)) {
      await deps.apps.save({ clientId, publicClient: true, redirectUris: [...(app?.redirectUris ?? []), redirectUri], exposedScopes: app?.exposedScopes ?? [] });
    }
    return clientId;
  }

  const callbackOf = (ctx: HandlerContext<unknown>) => `${ctx.baseUrl}${CALLBACK_PATH}`;

  return [
    defineRoute({
      operation: "console.login",
      method: "GET",
      url: "/console/login",
      auth: "none",
      requireApiVersion: false,
      handle: deps.secure(async (ctx) => {
        const redirectUri = callbackOf(ctx);
        const clientId = await consoleClient(redirectUri);
        const state = randomBytes(16).toString("base64url");
        const verifier = randomBytes(32).toString("base64url");
        const challenge = createHash("sha256").update(verifier).digest("base64url");
        const query = new URLSearchParams({
          client_id: clientId,
          response_type: "code",
          redirect_uri: redirectUri,
          scope: "openid profile",
          state,
          code_challenge: challenge,
          code_challenge_method: "S256",
          prompt: "login",
        });
        return {
          status: 303,
          headers: {
            location: `/${deps.tenantId()}/oauth2/v2.0/authorize?${query.toString()}`,
            "cache-control": "no-store",
            "set-cookie": `${LOGIN_COOKIE}=${state}.${verifier}; Path=${CALLBACK_PATH}; Max-Age=600; HttpOnly; Secure; SameSite=Lax`,
          },
        };
      }),
    }),
    defineRoute({
      operation: "console.signin",
      method: "GET",
      url: CALLBACK_PATH,
      auth: "none",
      requireApiVersion: false,
      handle: deps.secure(async (ctx) => {
        const [state, verifier] = (parseCookie(ctx.headers.cookie, LOGIN_COOKIE) ?? "").split(".");
        const q = (k: string) => (Array.isArray(ctx.query[k]) ? ctx.query[k]![0] : (ctx.query[k] as string | undefined));
        if (q("error") !== undefined) return refused("The sign-in was cancelled or refused.");
        const code = q("code");
        if (state === undefined || verifier === undefined || code === undefined || !constantTimeEqual(q("state") ?? "", state)) {
          return refused("The sign-in could not be completed (state mismatch): start again from the console.");
        }
        const principal = (await deps.principals.list("service-principal")).find((p) => p.name === CONSOLE_APP_NAME);
        if (principal === undefined) return refused("The console's application registration is missing.");
        const redeemed = await deps.codes.redeem(code, principal.clientId!, callbackOf(ctx), verifier);
        if (!redeemed.ok) return refused("The sign-in code is not valid any more: start again from the console.");
        const user = await deps.principals.find(redeemed.grant.userObjectId);
        if (user === undefined || user.kind !== "user" || !user.enabled) return refused("That user cannot sign in.");
        const started = await deps.auth.start(user.name, user.objectId);
        ctx.request.facts.principal = { kind: "entra", issuer: "console", objectId: user.objectId, tenantId: user.tenantId, appId: undefined, principalType: "user", displayName: user.name };
        ctx.request.facts.activityKeys = [`entra-user:${user.objectId}`];
        ctx.annotate({ outcome: "signed-in" });
        return { status: 303, headers: { location: "/console", "cache-control": "no-store", "set-cookie": ConsoleAuth.setCookie(started.cookie) } };
      }),
    }),
  ];
}
