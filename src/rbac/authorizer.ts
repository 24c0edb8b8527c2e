import { AcsError } from "../errors/acs-errors.js";
import type { RouteSpec } from "../http/route.js";
import type { Principal } from "../auth/principal.js";
import type { Resource } from "../resources/resource.js";

/** Decides whether an authenticated principal may run an operation on a resource. Throws AcsError if not. */
export interface Authorizer {
  authorize(principal: Principal, route: RouteSpec, resource: Resource): void | Promise<void>;
}

/** Checks Entra principals against role assignments (supplied by the RBAC module). */
export type EntraAuthorizer = (
  principal: Extract<Principal, { kind: "entra" }>,
  route: RouteSpec,
  resource: Resource,
) => void | Promise<void>;

/**
 * The authorization step:
 * - an access key has full access to its own resource (the key was checked against that resource);
 * - a user token needs one of the route's scopes (membership checks belong to the service);
 * - an Entra principal is checked by role assignments; without an RBAC module, it is refused.
 */
export class PrincipalAuthorizer implements Authorizer {
  constructor(private readonly entra?: EntraAuthorizer) {}

  authorize(principal: Principal, route: RouteSpec, resource: Resource): void | Promise<void> {
    switch (principal.kind) {
      case "access-key":
        if (principal.resourceId !== resource.id) throw new AcsError("Forbidden");
        return;
      case "user": {
        if (principal.resourceId !== resource.id) throw new AcsError("Forbidden");
        const allowed = route.userScopes;
        if (allowed === undefined || !principal.scopes.some((s) => allowed.includes(s))) {
          throw new AcsError("InsufficientScope", `The token's scopes do not allow ${route.operation}.`);
        }
        return;
      }
      case "operator":
        return;
      case "entra":
        if (this.entra === undefined) throw new AcsError("Forbidden", "Entra ID principals are not authorized on this server.");
        return this.entra(principal, route, resource);
    }
  }
}
