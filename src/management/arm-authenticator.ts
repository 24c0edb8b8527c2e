import { bearerToken } from "../auth/bearer/entra-authenticator.js";
import type { EntraTokenVerifier } from "../auth/bearer/entra-token-verifier.js";
import { authFail, headerValue, type Authenticator, type AuthOutcome, type AuthRequest } from "../auth/authenticator.js";
import { managementAudiences } from "./arm-audiences.js";

/**
 * The management plane takes Entra ID bearer tokens only (no access keys, no user tokens), issued for
 * https://management.azure.com/ or for this server as the client addressed it.
 */
export class ArmBearerAuthenticator implements Authenticator {
  readonly name = "arm-bearer";

  constructor(private readonly verifier: EntraTokenVerifier) {}

  async authenticate(request: AuthRequest): Promise<AuthOutcome> {
    const header = headerValue(request.headers, "authorization");
    if (header === undefined) return authFail("MissingAuthorization");
    if (!/^Bearer(\s|$)/i.test(header)) return authFail("UnsupportedAuthorizationScheme", "The management plane accepts Entra ID bearer tokens only.");
    const token = bearerToken(request.headers);
    if (token === undefined) return authFail("InvalidAuthorizationHeader");
    const host = headerValue(request.headers, "host") ?? "localhost";
    const audiences = managementAudiences(`https://${host}`);
    const result = await this.verifier.verify(token, audiences);
    if (!result.ok) return authFail(result.code);
    // A trusted external issuer's token passed its configured audiences (the data plane's, by default): the management
    // plane still wants one of its own, so a data-plane token is never a management token.
    const aud = result.claims.aud;
    const given = Array.isArray(aud) ? aud : [aud];
    if (!given.some((a) => typeof a === "string" && audiences.includes(a))) return authFail("InvalidTokenAudience");
    return { kind: "ok", principal: result.principal };
  }
}
