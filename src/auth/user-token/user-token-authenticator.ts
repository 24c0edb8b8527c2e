import type { UserTokenService } from "../../identity/user-token-service.js";
import type { ResourceRegistry } from "../../resources/resource-registry.js";
import { authFail, NOT_MINE, type Authenticator, type AuthOutcome, type AuthRequest } from "../authenticator.js";
import { parseBearer } from "../bearer-header.js";

/** End-user authentication (Chat, Calling): a user access token issued by this server's Identity API. */
export class UserTokenAuthenticator implements Authenticator {
  /**
   * With a registry, the resource is re-read once a reload in flight has settled, so a key regeneration committed
   * by this process bites on the very next request (the pipeline may have resolved the resource a moment before).
   */
  constructor(
    private readonly tokens: UserTokenService,
    private readonly registry?: ResourceRegistry,
  ) {}

  async authenticate(request: AuthRequest): Promise<AuthOutcome> {
    const header = parseBearer(request.headers);
    if (header.kind !== "bearer" || header.credential === "") return NOT_MINE;
    let resource = request.resource;
    if (this.registry !== undefined) {
      await this.registry.settled();
      resource = this.registry.get(resource.id) ?? resource;
    }
    const result = await this.tokens.check(header.credential, resource);
    if (result.ok) return { kind: "ok", principal: result.principal };
    return result.identity === undefined ? authFail(result.code) : { kind: "fail", code: result.code, identity: result.identity };
  }
}
