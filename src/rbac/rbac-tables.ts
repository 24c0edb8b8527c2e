/** Custom role definitions and role assignments (migration 0002-entra). */
export interface RbacRoleDefinitionsTable {
  id: string;
  name: string;
  description: string;
  /** JSON: {actions, notActions, dataActions, notDataActions}. */
  permissions: string;
  created_at: number;
}

export interface RbacRoleAssignmentsTable {
  id: string;
  /** The principal's object id (`oid`), also for principals of trusted external issuers. */
  principal_id: string;
  role_name: string;
  /** A resource id, or `*` for every resource. */
  scope: string;
  created_at: number;
}

export interface RbacTables {
  rbac_role_definitions: RbacRoleDefinitionsTable;
  rbac_role_assignments: RbacRoleAssignmentsTable;
}
