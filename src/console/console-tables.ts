/** The console's sign-in links and sessions: only the SHA-256 of each secret is stored. */
export interface ConsoleLinksTable {
  token_hash: string;
  operator: string;
  /** A built-in user the session acts as (checked by RBAC); null: the operator at the machine (Owner). */
  user_object_id: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface ConsoleSessionsTable {
  id_hash: string;
  operator: string;
  /** A built-in user the session acts as (checked by RBAC); null: the operator at the machine (Owner). */
  user_object_id: string | null;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
}

export interface ConsoleTables {
  console_links: ConsoleLinksTable;
  console_sessions: ConsoleSessionsTable;
}
