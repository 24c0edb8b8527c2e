import type { Principal } from "../auth/principal.js";
import { armError, type ArmError } from "../errors/arm-errors.js";
import { scopeCovers, scopeReachesInto, type ScopeTarget } from "../rbac/arm-scope.js";
import { hasRoleGrant, type RoleAssignmentCache } from "../rbac/entra-role-authorizer.js";
import { rolePrincipalKey } from "../rbac/principal-key.js";

type EntraPrincipal = Extract<Principal, { kind: "entra" }>;

/**
 * RBAC of the management plane: an action is allowed if a role assigned to the principal at the target's ARM scope or
 * an ancestor (resource group, subscription; `*` and a resource's immutable id too) grants it. Denied: 403
 * AuthorizationFailed naming the action and the scope, as ARM words it.
 */
export class ArmAuthorizer {
  constructor(
    private readonly cache: RoleAssignmentCache,
    /** The immutable id of the resource an ARM id names, so assignments by resource id count. */
    private readonly immutableIdOf: (armId: string) => string | undefined,
    /** The server's one subscription: a scope in another is 404 SubscriptionNotFound, as ARM answers, not 403. */
    private readonly subscriptionId: string,
    /** The built-in authority's issuers: their principals are keyed by object id alone (rbac/principal-key.ts). */
    private readonly isBuiltInIssuer: (issuer: string) => boolean,
  ) {}

  private keyOf(p: EntraPrincipal): string {
    return rolePrincipalKey(p.objectId, this.isBuiltInIssuer(p.issuer) ? undefined : p.issuer);
  }

  private checkSubscription(scope: string): void {
    const sub = /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1];
    if (sub !== undefined && sub.toLowerCase() !== this.subscriptionId.toLowerCase()) {
      throw armError("subscriptionNotFound", { subscriptionId: sub });
    }
  }

  private entra(principal: Principal | undefined): EntraPrincipal {
    if (principal?.kind !== "entra") throw armError("entraPrincipalsOnly");
    return principal;
  }

  async can(principal: Principal | undefined, action: string, target: ScopeTarget | string): Promise<boolean> {
    const p = this.entra(principal);
    const t = typeof target === "string" ? { armId: target, resourceId: this.immutableIdOf(target) } : target;
    return hasRoleGrant(this.cache, this.keyOf(p), action, (scope) => scopeCovers(scope, t));
  }

  /** Whether the principal has any assignment at, above or below `scope` that grants `action` (list operations). */
  async reaches(principal: Principal | undefined, action: string, scope: string): Promise<boolean> {
    this.checkSubscription(scope);
    return hasRoleGrant(this.cache, this.keyOf(this.entra(principal)), action, (s) => scopeReachesInto(s, scope));
  }

  async require(principal: Principal | undefined, action: string, scope: string): Promise<void> {
    this.checkSubscription(scope);
    if (await this.can(principal, action, scope)) return;
    throw this.denied(principal, action, scope);
  }

  denied(principal: Principal | undefined, action: string, scope: string): ArmError {
    const oid = principal?.kind === "entra" ? principal.objectId : "unknown";
    return armError("authorizationFailed", { objectId: oid, action, scope });
  }
}
