import type { Store } from "../store/store.js";

export const RBAC_CHANGED = "rbac";

export interface StoredRoleDefinition {
  name: string;
  description: string;
  /** JSON of the role's actions, notActions, dataActions, notDataActions. */
  permissions: string;
}

export interface RoleAssignment {
  id: string;
  principalId: string;
  roleName: string;
  /** A resource id, or `*`. */
  scope: string;
  createdAt: number;
}

/** Storage of custom role definitions and role assignments. Every write announces an `rbac` change. */
export class RoleRepository {
  constructor(private readonly store: Store) {}

  async listDefinitions(): Promise<StoredRoleDefinition[]> {
    const rows = await this.store.db.selectFrom("rbac_role_definitions").selectAll().orderBy("name").execute();
    return rows.map((r) => ({ name: r.name, description: r.description, permissions: r.permissions }));
  }

  /** Creates the definition (with `id`, `createdAt`) or replaces the description and permissions of the one named so. */
  async saveDefinition(definition: StoredRoleDefinition, create: { id: string; createdAt: number }): Promise<void> {
    await this.store.write(async (trx, ctx) => {
      const existing = await trx.selectFrom("rbac_role_definitions").select("id").where("name", "=", definition.name).executeTakeFirst();
      if (existing === undefined) {
        await trx
          .insertInto("rbac_role_definitions")
          .values({ id: create.id, name: definition.name, description: definition.description, permissions: definition.permissions, created_at: create.createdAt })
          .execute();
      } else {
        await trx
          .updateTable("rbac_role_definitions")
          .set({ description: definition.description, permissions: definition.permissions })
          .where("id", "=", existing.id)
          .execute();
      }
      ctx.emit({ topic: RBAC_CHANGED, subject: null });
    });
  }

  /** Stores the assignment unless the same (principal, role, scope) exists; returns the stored one either way. */
  async addAssignment(assignment: RoleAssignment): Promise<RoleAssignment> {
    return this.store.write(async (trx, ctx) => {
      const existing = await trx
        .selectFrom("rbac_role_assignments")
        .selectAll()
        .where("principal_id", "=", assignment.principalId)
        .where("role_name", "=", assignment.roleName)
        .where("scope", "=", assignment.scope)
        .executeTakeFirst();
      if (existing !== undefined) return { ...assignment, id: existing.id, createdAt: Number(existing.created_at) };
      await trx
        .insertInto("rbac_role_assignments")
        .values({
          id: assignment.id,
          principal_id: assignment.principalId,
          role_name: assignment.roleName,
          scope: assignment.scope,
          created_at: assignment.createdAt,
        })
        .execute();
      ctx.emit({ topic: RBAC_CHANGED, subject: assignment.principalId });
      return assignment;
    });
  }

  /** Removes an assignment (role name compared case-insensitively); false when there was none. */
  async removeAssignment(principalId: string, roleName: string, scope: string): Promise<boolean> {
    return this.store.write(async (trx, ctx) => {
      const result = await trx
        .deleteFrom("rbac_role_assignments")
        .where("principal_id", "=", principalId)
        .where((eb) => eb(eb.fn("lower", ["role_name"]), "=", roleName.toLowerCase()))
        .where("scope", "=", scope)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      ctx.emit({ topic: RBAC_CHANGED, subject: principalId });
      return true;
    });
  }

  /** Assignments in creation order, all or one principal's. */
  async listAssignments(principalId?: string): Promise<RoleAssignment[]> {
    let query = this.store.db.selectFrom("rbac_role_assignments").selectAll().orderBy("created_at");
    if (principalId !== undefined) query = query.where("principal_id", "=", principalId);
    const rows = await query.execute();
    return rows.map((r) => ({ id: r.id, principalId: r.principal_id, roleName: r.role_name, scope: r.scope, createdAt: Number(r.created_at) }));
  }
}
