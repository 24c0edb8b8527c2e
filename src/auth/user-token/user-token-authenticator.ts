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
    if (result.ok) return { kind: "ok", principal: result.principal };
    return result.identity === undefined ? authFail(result.code) : { kind: "fail", code: result.code, identity: result.identity };
  }
}
