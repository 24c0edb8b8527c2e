/** E-mail state: sender domains and send operations. */
export interface EmailDomainsTable {
  resource_id: string;
  /** Lower-case domain name. */
  domain: string;
  /** JSON array of allowed sender user names (the part before @). */
  sender_usernames: string;
  created_at: number;
}

export interface EmailOperationsTable {
  id: string;
  resource_id: string;
  /** NotStarted | Running | Succeeded | Failed | Canceled */
  status: string;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  updated_at: number;
}

export interface EmailTables {
  email_domains: EmailDomainsTable;
  email_operations: EmailOperationsTable;
}
