import { authFail, NOT_MINE, type Authenticator, type AuthOutcome, type AuthRequest } from "../authenticator.js";
import { parseBearer } from "../bearer-header.js";
import type { EntraTokenVerifier } from "./entra-token-verifier.js";


/** Entra ID (built-in authority or trusted OIDC issuer) bearer tokens for management operations. */
export class EntraBearerAuthenticator implements Authenticator {
  constructor(private readonly verifier: EntraTokenVerifier) {}

  async authenticate(request: AuthRequest): Promise<AuthOutcome> {
    const header = parseBearer(request.headers);
    if (header.kind !== "bearer") return NOT_MINE;
    if (header.token === undefined) return authFail("InvalidAuthorizationHeader");
    const result = await this.verifier.verify(header.token, "dataPlane");
    return result.ok ? { kind: "ok", principal: result.principal } : authFail(result.code);
  }
}
