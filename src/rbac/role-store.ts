import { randomUUID } from "node:crypto";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { BUILT_IN_ROLES, type RoleDefinition } from "./role-definitions.js";

export const RBAC_CHANGED = "rbac";
/** The scope of an assignment that covers every resource. */
export const ALL_RESOURCES = "*";

export interface RoleAssignment {
  id: string;
  principalId: string;
  roleName: string;
  /** A resource id, or `*`. */
  scope: string;
  createdAt: number;
}

/** Custom role definitions and role assignments. Every write announces an `rbac` change (caches reload). */
export class RoleStore {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async definitions(): Promise<RoleDefinition[]> {
    const rows = await this.store.db.selectFrom("rbac_role_definitions").selectAll().orderBy("name").execute();
    const custom = rows.map((r) => {
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
    await this.store.write(async (trx, ctx) => {
      const existing = await trx.selectFrom("rbac_role_definitions").select("id").where("name", "=", role.name).executeTakeFirst();
      if (existing === undefined) {
        await trx
          .insertInto("rbac_role_definitions")
          .values({ id: randomUUID(), name: role.name, description: role.description, permissions, created_at: this.clock.now() })
          .execute();
      } else {
        await trx.updateTable("rbac_role_definitions").set({ description: role.description, permissions }).where("id", "=", existing.id).execute();
      }
      ctx.emit({ topic: RBAC_CHANGED, subject: null });
    });
  }

  async assign(principalId: string, roleName: string, scope: string): Promise<RoleAssignment> {
    const role = await this.findDefinition(roleName);
    if (role === undefined) throw new Error(`no role named '${roleName}'`);
    return this.store.write(async (trx, ctx) => {
      const existing = await trx
        .selectFrom("rbac_role_assignments")
        .selectAll()
        .where("principal_id", "=", principalId)
        .where("role_name", "=", role.name)
        .where("scope", "=", scope)
        .executeTakeFirst();
      if (existing !== undefined) {
        return { id: existing.id, principalId, roleName: role.name, scope, createdAt: Number(existing.created_at) };
      }
      const assignment = { id: randomUUID(), principalId, roleName: role.name, scope, createdAt: this.clock.now() };
      await trx
        .insertInto("rbac_role_assignments")
        .values({ id: assignment.id, principal_id: principalId, role_name: role.name, scope, created_at: assignment.createdAt })
        .execute();
      ctx.emit({ topic: RBAC_CHANGED, subject: principalId });
      return assignment;
    });
  }

  async remove(principalId: string, roleName: string, scope: string): Promise<boolean> {
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

  async assignments(principalId?: string): Promise<RoleAssignment[]> {
    let query = this.store.db.selectFrom("rbac_role_assignments").selectAll().orderBy("created_at");
    if (principalId !== undefined) query = query.where("principal_id", "=", principalId);
    const rows = await query.execute();
    return rows.map((r) => ({ id: r.id, principalId: r.principal_id, roleName: r.role_name, scope: r.scope, createdAt: Number(r.created_at) }));
  }
}
