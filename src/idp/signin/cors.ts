import type { Reply } from "../../http/route.js";
import type { AppRegistrations } from "./app-registrations.js";
import { runSigninStep } from "./entra-reply.js";
import type { SigninGrant } from "./signin-grant.js";

/**
 * CORS of the token endpoint for single-page apps: a browser page may read the answer when its origin is the origin
 * of one of the requesting app's registered redirect URIs (what Entra ID calls the SPA platform). Refusals carry the
 * header too, so the app can read the error.
 */
export function withSpaCors(grant: SigninGrant, apps: AppRegistrations, now: () => number): SigninGrant {
  return async (form, request) => {
    const reply: Reply = await runSigninStep(now, () => grant(form, request));
    const origin = request.origin;
    if (origin === undefined || form.client_id === undefined) return reply;
    const app = await apps.get(form.client_id);
    const allowed = app?.redirectUris.some((uri) => new URL(uri).origin === origin) === true;
    if (!allowed) return reply;
    return { ...reply, headers: { ...reply.headers, "access-control-allow-origin": origin, vary: "Origin" } };
  };
}
