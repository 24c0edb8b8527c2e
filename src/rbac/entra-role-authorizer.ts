import { AcsError } from "../errors/acs-errors.js";
import { FEED_RESET, type ChangeFeed } from "../store/change-feed.js";
import type { Resource } from "../resources/resource.js";
import type { EntraAuthorizer } from "./authorizer.js";
import { scopeCovers } from "./arm-scope.js";
import { permissionFor } from "./permissions.js";
import { rolePrincipalKey } from "./principal-key.js";
import { roleGrants, type RoleDefinition } from "./role-definitions.js";
import { RBAC_CHANGED, type RoleAssignment, type RoleStore } from "./role-store.js";

interface Snapshot {
  roles: Map<string, RoleDefinition>;
  byPrincipal: Map<string, RoleAssignment[]>;
}

/**
 * Role assignments and definitions as every request reads them: one in-memory snapshot, dropped by any `rbac`
 * change (this process at once, others through the change feed), so a change bites on the next request, also for
 * bearer tokens issued before it.
 */
export class RoleAssignmentCache {
  private snapshot: Promise<Snapshot> | undefined;
  private epoch = 0;
  private feed: ChangeFeed | undefined;

  constructor(private readonly roles: RoleStore) {}

  watch(feed: ChangeFeed): void {
    this.feed = feed;
    feed.subscribe((changes) => {
      if (changes.some((c) => c.topic === RBAC_CHANGED || c.topic === FEED_RESET)) this.invalidate();
    });
  }

  invalidate(): void {
    this.epoch++;
    this.snapshot = undefined;
  }

  /**
   * The snapshot once what other processes committed since the feed's last poll has been read. A denial asks for it
   * before it stands: a role that the CLI or another replica assigned a moment ago is honoured on the first request,
   * not only after the next poll (`invalidationPollMs`). Only a denial pays the read.
   */
  async caughtUp(): Promise<Snapshot> {
    await this.feed?.poll();
    return this.current();
  }

  async current(): Promise<Snapshot> {
    if (this.snapshot !== undefined) return this.snapshot;
    const epoch = this.epoch;
    const loading = this.load();
    this.snapshot = loading;
    try {
      const snap = await loading;
      if (epoch !== this.epoch && this.snapshot === loading) this.snapshot = undefined;
      return snap;
    } catch (err) {
      if (this.snapshot === loading) this.snapshot = undefined;
      throw err;
    }
  }

  private async load(): Promise<Snapshot> {
    const [definitions, assignments] = await Promise.all([this.roles.definitions(), this.roles.assignments()]);
    const roles = new Map(definitions.map((d) => [d.name.toLowerCase(), d]));
    const byPrincipal = new Map<string, RoleAssignment[]>();
    for (const a of assignments) {
      const list = byPrincipal.get(a.principalId) ?? [];
      list.push(a);
      byPrincipal.set(a.principalId, list);
    }
    return { roles, byPrincipal };
  }
}

/**
 * The RBAC check for Entra principals: the operation's permission (permissions.ts) must be granted by a role
 * assigned to the principal at this resource or at every resource. Denied: 403 AuthorizationFailed naming the
 * missing permission.
 */
export function createEntraRoleAuthorizer(
  cache: RoleAssignmentCache,
  isBuiltInIssuer: (issuer: string) => boolean,
  armIdOf: (resource: Resource) => string = (r) => r.id,
): EntraAuthorizer {
  return async (principal, route, resource) => {
    const permission = permissionFor(route.operation);
    if (permission === undefined) {
      throw new AcsError("AuthorizationFailed", `The operation ${route.operation} is not available to Entra ID principals.`);
    }
    const key = rolePrincipalKey(principal.objectId, isBuiltInIssuer(principal.issuer) ? undefined : principal.issuer);
    const covers = (scope: string): boolean => scopeCovers(scope, { armId: armIdOf(resource), resourceId: resource.id });
    if (await hasRoleGrant(cache, key, permission, covers)) return;
    throw new AcsError(
      "AuthorizationFailed",
      `The client '${principal.objectId}' does not have authorization to perform action '${permission}' on resource '${resource.id}'.`,
      { target: permission, details: [{ code: "MissingPermission", message: permission, target: permission }] },
    );
  };
}

/**
 * Whether a role assigned to the principal at a scope `covers` accepts grants `permission`: the data plane's check
 * above and the management plane's (src/management/arm-authorizer.ts). A denial is checked again once the change feed
 * has caught up (RoleAssignmentCache.caughtUp).
 */
export async function hasRoleGrant(
  cache: RoleAssignmentCache,
  /** `rolePrincipalKey(objectId, issuer)`: (issuer, object id) for a trusted external issuer's principal. */
  principalKey: string,
  permission: string,
  covers: (scope: string) => boolean,
): Promise<boolean> {
  return grants(await cache.current(), principalKey, permission, covers) || grants(await cache.caughtUp(), principalKey, permission, covers);
}

function grants(snap: Snapshot, principalKey: string, permission: string, covers: (scope: string) => boolean): boolean {
  for (const a of snap.byPrincipal.get(principalKey) ?? []) {
    if (!covers(a.scope)) continue;
    const role = snap.roles.get(a.roleName.toLowerCase());
    if (role !== undefined && roleGrants(role, permission)) return true;
  }
  return false;
}
