import type { EntraTokenVerifier } from "../../auth/bearer/entra-token-verifier.js";
import { defineRoute, type RouteSpec } from "../../http/route.js";
import type { Store } from "../../store/store.js";
import type { Clock } from "../../util/clock.js";
import type { AuthorityKeys } from "../authority-keys.js";
import type { AuthorityTokens } from "../authority-tokens.js";
import type { EntraPrincipals } from "../entra-principals.js";
import { AppRegistrations } from "./app-registrations.js";
import { authorizationCodeGrant } from "./authorization-code-grant.js";
import { AuthorizationCodes } from "./authorization-codes.js";
import { withSpaCors } from "./cors.js";
import { authorizeRoutes } from "./authorize-routes.js";
import { DEVICE_CODE_GRANT, deviceCodeGrant } from "./device-code-grant.js";
import { deviceCodeRoutes } from "./device-code-routes.js";
import { DeviceCodes } from "./device-codes.js";
import { refreshTokenGrant } from "./refresh-token-grant.js";
import { RefreshTokens } from "./refresh-tokens.js";
import type { SigninGrant } from "./signin-grant.js";
import { SigninKeys } from "./signin-keys.js";
import { ASSET_PATH, FORM_POST_JS, SIGNIN_CSS } from "./signin-page.js";
import type { SigninGuessing } from "./signin-guessing.js";
import { SigninSessions } from "./signin-sessions.js";
import { userinfoRoute } from "./userinfo-route.js";

/** User sign-in on the built-in authority: app registrations, the authorize endpoint and pages, the user grants. */
export interface Signin {
  apps: AppRegistrations;
  refreshTokens: RefreshTokens;
  /** Extra grants of the token endpoint, by grant_type. */
  grants: Record<string, SigninGrant>;
  /** `guessing`: the token endpoint's password throttle, which the sign-in pages share. */
  routes(guessing?: SigninGuessing): RouteSpec[];
}

export async function openSignin(deps: {
  store: Store;
  clock: Clock;
  keys: AuthorityKeys;
  principals: EntraPrincipals;
  tokens: AuthorityTokens;
  verifier: EntraTokenVerifier;
  idTokenLifetimeSec: number;
}): Promise<Signin> {
  const { store, clock } = deps;
  const signinKeys = new SigninKeys(store, clock);
  await signinKeys.ensure();
  const apps = new AppRegistrations(store, clock);
  const codes = new AuthorizationCodes(store, clock);
  const refreshTokens = new RefreshTokens(store, clock);
  const sessions = new SigninSessions(store, signinKeys, clock);
  const deviceCodes = new DeviceCodes(store, clock);
  const grantDeps = { ...deps, apps, refreshTokens };
  const deviceGrant = deviceCodeGrant({ ...grantDeps, deviceCodes });
  const asset = (name: string, type: string, text: string) =>
    defineRoute({
      operation: "idp.signin.asset",
      method: "GET",
      url: `${ASSET_PATH}/${name}`,
      auth: "none",
      requireApiVersion: false,
      handle: () => ({ status: 200, rawBody: text, headers: { "content-type": type, "cache-control": "public, max-age=3600", "x-content-type-options": "nosniff" } }),
    });
  return {
    apps,
    refreshTokens,
    grants: {
      authorization_code: withSpaCors(authorizationCodeGrant({ ...grantDeps, codes }), apps),
      refresh_token: withSpaCors(refreshTokenGrant(grantDeps), apps),
      [DEVICE_CODE_GRANT]: deviceGrant,
      // MSAL sends the short form Entra ID accepts too.
      device_code: deviceGrant,
    },
    routes: (guessing) => [
      ...authorizeRoutes({ keys: deps.keys, principals: deps.principals, apps, codes, sessions, signinKeys, clock, ...(guessing !== undefined ? { guessing } : {}) }),
      ...deviceCodeRoutes({ keys: deps.keys, principals: deps.principals, apps, deviceCodes, sessions, signinKeys, clock, ...(guessing !== undefined ? { guessing } : {}) }),
      userinfoRoute(deps.verifier, clock),
      asset("signin.css", "text/css; charset=utf-8", SIGNIN_CSS),
      asset("form-post.js", "text/javascript; charset=utf-8", FORM_POST_JS),
    ],
  };
}
