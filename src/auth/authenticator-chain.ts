import { AcsError } from "../http/errors.js";
import type { Authenticator, AuthRequest } from "./authenticator.js";
import { headerValue } from "./authenticator.js";
import type { Principal } from "./principal.js";

/**
 * Runs one-scheme authenticators in order: the first that recognises the request decides (ok or fail).
 * A request no authenticator recognises has no usable credentials.
 */
export class AuthenticatorChain {
  constructor(private readonly authenticators: readonly Authenticator[]) {}

  async authenticate(request: AuthRequest): Promise<Principal> {
    for (const authenticator of this.authenticators) {
      const outcome = await authenticator.authenticate(request);
      if (outcome.kind === "ok") return outcome.principal;
      if (outcome.kind === "fail") throw new AcsError(outcome.code, outcome.message);
    }
    if (headerValue(request.headers, "authorization") === undefined) throw new AcsError("MissingAuthorization");
    throw new AcsError("UnsupportedAuthorizationScheme");
  }

  with(extra: Authenticator): AuthenticatorChain {
    return new AuthenticatorChain([...this.authenticators, extra]);
  }
}
