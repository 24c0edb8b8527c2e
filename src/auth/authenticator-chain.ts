import { AcsError } from "../errors/acs-errors.js";
import type { Authenticator, AuthOutcome, AuthRequest } from "./authenticator.js";
import { headerValue } from "./authenticator.js";
import type { Principal } from "./principal.js";

/** An authentication refusal that may name the identity a genuinely signed credential was issued to. */
export class AuthenticationError extends AcsError {
  constructor(
    outcome: Extract<AuthOutcome, { kind: "fail" }>,
    readonly identity: string | undefined = outcome.identity,
  ) {
    super(outcome.code, outcome.message);
  }
}

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
      if (outcome.kind === "fail") throw new AuthenticationError(outcome);
    }
    if (headerValue(request.headers, "authorization") === undefined) throw new AcsError("MissingAuthorization");
    throw new AcsError("UnsupportedAuthorizationScheme");
  }
}
