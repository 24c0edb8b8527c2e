import { EntraError } from "../../errors/entra-errors.js";
import type { AppRegistrations } from "./app-registrations.js";
import type { SigninGrant } from "./signin-grant.js";

/**
 * CORS of the token endpoint for single-page apps: a browser page may read the answer when its origin is the origin
 * of one of the requesting app's registered redirect URIs (what Entra ID calls the SPA platform). Refusals carry the
 * header too, so the app can read the error.
 */
export function withSpaCors(grant: SigninGrant, apps: AppRegistrations): SigninGrant {
  const corsHeaders = async (form: Record<string, string | undefined>, origin: string | undefined): Promise<Record<string, string>> => {
    if (origin === undefined || form.client_id === undefined) return {};
    const app = await apps.get(form.client_id);
    const allowed = app?.redirectUris.some((uri) => new URL(uri).origin === origin) === true;
    return allowed ? { "access-control-allow-origin": origin, vary: "Origin" } : {};
  };
  return async (form, request) => {
    let reply;
    try {
      reply = await grant(form, request);
    } catch (err) {
      if (err instanceof EntraError) Object.assign(err.headers, await corsHeaders(form, request.origin));
      throw err;
    }
    return { ...reply, headers: { ...reply.headers, ...(await corsHeaders(form, request.origin)) } };
  };
}
