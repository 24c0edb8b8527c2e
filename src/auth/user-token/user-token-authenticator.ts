import type { UserTokenService } from "../../identity/user-token-service.js";
import { authFail, headerValue, NOT_MINE, type Authenticator, type AuthOutcome, type AuthRequest } from "../authenticator.js";

const BEARER = /^Bearer (.+)$/i;

/** End-user authentication (Chat, Calling): a user access token issued by this server's Identity API. */
export class UserTokenAuthenticator implements Authenticator {
  readonly name = "user-token";

  constructor(private readonly tokens: UserTokenService) {}

  async authenticate(request: AuthRequest): Promise<AuthOutcome> {
    const authorization = headerValue(request.headers, "authorization");
    if (authorization === undefined) return NOT_MINE;
    const match = BEARER.exec(authorization);
    if (match === null) return NOT_MINE;
    const result = await this.tokens.check(match[1]!.trim(), request.resource);
    return result.ok ? { kind: "ok", principal: result.principal } : authFail(result.code);
  }
}
