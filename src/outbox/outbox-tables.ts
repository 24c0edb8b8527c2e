import type { Generated } from "kysely";

/** Every accepted SMS and e-mail, as the sender's test reads it back. */
export interface OutboxMessagesTable {
  /** Insertion order: newest first is the highest id. */
  id: Generated<number>;
  /** The SMS message id or the e-mail operation id; unique per resource. */
  message_id: string;
  resource_id: string;
  /** sms | email */
  kind: string;
  /** The principal that sent it (as in the request log: never a secret). */
  principal: string;
  from_address: string;
  /** JSON array of recipient addresses (for e-mail: to, cc and bcc). */
  to_addresses: string;
  subject: string | null;
  text: string | null;
  html: string | null;
  /** JSON object with the kind-specific rest (segments, tag, cc, bcc, headers, attachments, delivery status …). */
  details: string;
  created_at: number;
}

export interface OutboxTables {
  outbox_messages: OutboxMessagesTable;
}
