import { decodeJwt } from "jose";
import { bearerToken } from "../../auth/bearer-header.js";
import type { EntraTokenVerifier } from "../../auth/bearer/entra-token-verifier.js";
import { entraError } from "../../errors/entra-errors.js";
import { defineRoute, type HandlerContext, type Reply, type RouteSpec } from "../../http/route.js";
import type { Clock } from "../../util/clock.js";
import { entraReply } from "../entra-reply.js";

/** RFC 6750: 401 with the error in WWW-Authenticate too; the body in the catalogue's brief shape. */
function unauthorized(ctx: Pick<HandlerContext<unknown>, "request">, name: "UserinfoTokenMissing" | "UserinfoTokenMalformed" | "UserinfoTokenInvalid", now: number): Reply {
  const failure = entraError(name);
  failure.headers["www-authenticate"] = `Bearer error="${failure.error}", error_description="${failure.description}"`;
  return entraReply(ctx, failure, now, "brief");
}

/** OIDC userinfo: the claims of the user an access token of this authority was issued to (any audience). */
export function userinfoRoute(verifier: EntraTokenVerifier, clock: Clock): RouteSpec {
  return defineRoute({
    operation: "idp.userinfo",
    method: "GET",
    url: "/:tenant/oidc/userinfo",
    auth: "none",
    requireApiVersion: false,
    async handle(ctx): Promise<Reply> {
      const token = bearerToken(ctx.headers);
      if (token === undefined) return unauthorized(ctx, "UserinfoTokenMissing", clock.now());
      let aud: string | undefined;
      try {
        const claimed = decodeJwt(token).aud;
        aud = Array.isArray(claimed) ? claimed[0] : claimed;
      } catch {
        return unauthorized(ctx, "UserinfoTokenMalformed", clock.now());
      }
      // Any audience of the built-in authority: the signature, issuer, expiry and the user's state are still checked.
      const check = await verifier.verify(token, "dataPlane", { builtIn: aud === undefined ? [] : [aud], external: [] });
      if (!check.ok || !check.builtIn || check.principal.principalType !== "user") return unauthorized(ctx, "UserinfoTokenInvalid", clock.now());
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
