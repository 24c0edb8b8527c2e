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

/** An ARM emailServices resource. */
export interface ArmEmailServicesTable {
  id: string;
  name: string;
  resource_group: string;
  data_location: string;
  tags: string;
  created_at: number;
  updated_at: number;
}

/** A domain of an e-mail service: AzureManaged (`<guid>.azurecomm.net`, verified at once) or CustomerManaged. */
export interface ArmEmailDomainsTable {
  id: string;
  service_id: string;
  /** `AzureManagedDomain`, or the customer's domain name. */
  name: string;
  /** `AzureManaged` | `CustomerManaged`. */
  management: string;
  from_sender_domain: string;
  /** The TXT value a customer-managed domain is verified with. */
  verification_code: string;
  verified: number;
  tags: string;
  /** JSON [{username, displayName}]. */
  sender_usernames: string;
  created_at: number;
  updated_at: number;
}

export interface ManagementTables {
  management_settings: ManagementSettingsTable;
  arm_operations: ArmOperationsTable;
  arm_email_services: ArmEmailServicesTable;
  arm_email_domains: ArmEmailDomainsTable;
}
