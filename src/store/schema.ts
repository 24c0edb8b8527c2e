// The one upward import of store/ (docs/architecture.md): the feature folders' table types, type-only, assembled
// into the database type here. Each *-tables.ts imports nothing but kysely, so this cannot form a cycle.
import type { Generated } from "kysely";
import type { ActivityTables } from "../activity/activity-tables.js";
import type { EmailTables } from "../email/email-tables.js";
import type { OutboxTables } from "../outbox/outbox-tables.js";
import type { PhoneNumberTables } from "../phone-numbers/phone-numbers-tables.js";
import type { SmsTables } from "../sms/sms-tables.js";
import type { IdpTables } from "../idp/idp-tables.js";
import type { RbacTables } from "../rbac/rbac-tables.js";
import type { CallingTables } from "../calling/calling-tables.js";
import type { ChatTables } from "../chat/chat-tables.js";
import type { SigninTables } from "../idp/signin/signin-tables.js";
import type { ManagementTables } from "../management/management-tables.js";
import type { EventsTables } from "../events/events-tables.js";
import type { ConsoleTables } from "../console/console-tables.js";

/**
 * The database schema as Kysely sees it. Timestamps are epoch milliseconds (bigint), booleans are 0/1 integers and
 * structured values are JSON text, so that SQLite and PostgreSQL share every query.
 */
export interface ResourcesTable {
  id: string;
  name: string;
  /** JSON array of Host header values (host[:port]) that select this resource. */
  hostnames: string;
  primary_key: string;
  /** Changes whenever the primary key is regenerated; tokens carry the id of the key that issued them. */
  primary_key_id: string;
  secondary_key: string;
  secondary_key_id: string;
  is_default: number;
  created_at: number;
  // --- management plane (0010-management) ---
  resource_group: Generated<string>;
  data_location: Generated<string>;
  /** JSON object of ARM tags. */
  tags: Generated<string>;
  /** JSON array of linked e-mail domain ARM ids. */
  linked_domains: Generated<string>;
  /** JSON {resourceId, connectionString} of a linked notification hub, or null. */
  notification_hub: string | null;
  /** The resource's own HTTPS port (docs/management.md), or null: an ephemeral port per process. */
  port: number | null;
  updated_at: number | null;
}

export interface IdentitiesTable {
  id: string;
  resource_id: string;
  created_at: number;
  deleted_at: number | null;
  /** Incremented by every revocation: a token is valid only while it carries the current generation. */
  token_generation: number;
  revoked_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  private_pem: string;
  public_jwk: string;
  created_at: number;
  /** Set when a newer key took over signing; the key stays published until its last token has expired. */
  retired_at: number | null;
}

export interface ChangeEventsTable {
  id: Generated<number>;
  topic: string;
  resource_id: string | null;
  subject: string | null;
  created_at: number;
}

export interface FoundationTables {
  resources: ResourcesTable;
  identities: IdentitiesTable;
  signing_keys: SigningKeysTable;
  change_events: ChangeEventsTable;
}

/**
 * Every table. Each feature declares its tables in its own folder (`<feature>/<feature>-tables.ts`) and adds its
 * interface to this list.
 */
export interface Database
  extends FoundationTables, IdpTables, RbacTables, ChatTables, PhoneNumberTables, SmsTables, EmailTables, OutboxTables, CallingTables, ActivityTables, ManagementTables, SigninTables, EventsTables, ConsoleTables {}
