import { parseBearer } from "../auth/bearer-header.js";
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
    const header = parseBearer(request.headers);
    if (header.kind === "absent") return authFail("MissingAuthorization");
    if (header.kind === "other-scheme") return authFail("UnsupportedAuthorizationScheme", "The management plane accepts Entra ID bearer tokens only.");
    const token = header.token;
    if (token === undefined) return authFail("InvalidAuthorizationHeader");
    const host = headerValue(request.headers, "host") ?? "localhost";
    const audiences = managementAudiences(`https://${host}`);
    // A trusted external issuer's token must carry one of its configured management audiences, so a data-plane token
    // is never a management token (SECURITY.md, audiences per purpose).
    const result = await this.verifier.verify(token, "management", { builtIn: audiences });
    if (!result.ok) return authFail(result.code);
    return { kind: "ok", principal: result.principal };
  }
}
