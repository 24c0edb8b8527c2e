import { randomUUID } from "node:crypto";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { BUILT_IN_ROLES, type RoleDefinition } from "./role-definitions.js";
import { RoleRepository, type RoleAssignment } from "./role-repository.js";

export { RBAC_CHANGED, type RoleAssignment } from "./role-repository.js";
/** The scope of an assignment that covers every resource. */
export const ALL_RESOURCES = "*";

/** Role definitions (built-in and custom) and role assignments; storage is `RoleRepository`. */
export class RoleStore {
  private readonly repository: RoleRepository;

  constructor(
    store: Store,
    private readonly clock: Clock,
  ) {
    this.repository = new RoleRepository(store);
  }

  async definitions(): Promise<RoleDefinition[]> {
    const custom = (await this.repository.listDefinitions()).map((r) => {
      const p = JSON.parse(r.permissions) as Pick<RoleDefinition, "actions" | "notActions" | "dataActions" | "notDataActions">;
      return { name: r.name, description: r.description, builtIn: false, ...p };
    });
    return [...BUILT_IN_ROLES, ...custom];
  }

  async findDefinition(name: string): Promise<RoleDefinition | undefined> {
    return (await this.definitions()).find((d) => d.name.toLowerCase() === name.toLowerCase());
  }

  /** Creates or replaces a custom role. */
  async saveCustomRole(role: RoleDefinition): Promise<void> {
    const permissions = JSON.stringify({
      actions: role.actions,
      notActions: role.notActions,
      dataActions: role.dataActions,
      notDataActions: role.notDataActions,
    });
    await this.repository.saveDefinition({ name: role.name, description: role.description, permissions }, { id: randomUUID(), createdAt: this.clock.now() });
  }

  async assign(principalId: string, roleName: string, scope: string): Promise<RoleAssignment> {
    const role = await this.findDefinition(roleName);
    if (role === undefined) throw new Error(`no role named '${roleName}'`);
    return this.repository.addAssignment({ id: randomUUID(), principalId, roleName: role.name, scope, createdAt: this.clock.now() });
  }

  async remove(principalId: string, roleName: string, scope: string): Promise<boolean> {
    return this.repository.removeAssignment(principalId, roleName, scope);
  }

  async assignments(principalId?: string): Promise<RoleAssignment[]> {
    return this.repository.listAssignments(principalId);
  }
}
