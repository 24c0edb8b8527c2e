/** Tables of the management plane (migration 0010-management). */
export interface ManagementSettingsTable {
  /** `subscriptionId`. */
  name: string;
  value: string;
}

/** An ARM long-running operation (create, delete); its status is derived from `ends_at` and the clock. */
export interface ArmOperationsTable {
  id: string;
  /** `create` | `delete`. */
  kind: string;
  /** The ARM id the operation acts on. */
  target: string;
  started_at: number;
  ends_at: number;
}

export interface ManagementTables {
  management_settings: ManagementSettingsTable;
  arm_operations: ArmOperationsTable;
}
