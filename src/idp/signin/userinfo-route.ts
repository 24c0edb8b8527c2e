import { decodeJwt } from "jose";
import { bearerToken } from "../../auth/bearer-header.js";
import type { EntraTokenVerifier } from "../../auth/bearer/entra-token-verifier.js";
import { defineRoute, type Reply, type RouteSpec } from "../../http/route.js";

function unauthorized(description: string): Reply {
  return { status: 401, headers: { "www-authenticate": `Bearer error="invalid_token", error_description="${description}"`, "cache-control": "no-store" }, body: { error: "invalid_token", error_description: description } };
}

/** OIDC userinfo: the claims of the user an access token of this authority was issued to (any audience). */
export function userinfoRoute(verifier: EntraTokenVerifier): RouteSpec {
  return defineRoute({
    operation: "idp.userinfo",
    method: "GET",
    url: "/:tenant/oidc/userinfo",
    auth: "none",
    requireApiVersion: false,
    async handle(ctx): Promise<Reply> {
      const token = bearerToken(ctx.headers);
      if (token === undefined) return unauthorized("A bearer access token is required.");
      let aud: string | undefined;
      try {
        const claimed = decodeJwt(token).aud;
        aud = Array.isArray(claimed) ? claimed[0] : claimed;
      } catch {
        return unauthorized("The access token is malformed.");
      }
      // Any audience of the built-in authority: the signature, issuer, expiry and the user's state are still checked.
      const check = await verifier.verify(token, "dataPlane", { builtIn: aud === undefined ? [] : [aud], external: [] });
      if (!check.ok || !check.builtIn || check.principal.principalType !== "user") return unauthorized("The access token is not valid for userinfo.");
      const c = check.claims;
      ctx.setSubject(`entra-user:${check.principal.objectId}`);
      return {
        status: 200,
        headers: { "cache-control": "no-store" },
        body: { sub: c.sub, oid: c.oid, tid: c.tid, name: c.name, preferred_username: c.preferred_username },
      };
    },
  });
}
