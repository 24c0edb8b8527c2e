import { authFail, headerValue, NOT_MINE, type Authenticator, type AuthOutcome, type AuthRequest } from "../authenticator.js";
import type { EntraTokenVerifier } from "./entra-token-verifier.js";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Extracts the token of an `Authorization: Bearer …` header, or undefined for any other scheme. */
export function bearerToken(headers: AuthRequest["headers"]): string | undefined {
  const header = headerValue(headers, "authorization");
  if (header === undefined) return undefined;
  return BEARER.exec(header)?.[1];
}

/** Entra ID (built-in authority or trusted OIDC issuer) bearer tokens for management operations. */
export class EntraBearerAuthenticator implements Authenticator {
  constructor(private readonly verifier: EntraTokenVerifier) {}

  async authenticate(request: AuthRequest): Promise<AuthOutcome> {
    const header = headerValue(request.headers, "authorization");
    if (header === undefined || !/^Bearer(\s|$)/i.test(header)) return NOT_MINE;
    const token = bearerToken(request.headers);
    if (token === undefined) return authFail("InvalidAuthorizationHeader");
    const result = await this.verifier.verify(token, "dataPlane");
    return result.ok ? { kind: "ok", principal: result.principal } : authFail(result.code);
  }
}
