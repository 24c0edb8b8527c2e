/**
 * Chat storage (migration 0003-chat). Ids of participants and senders are communication identifier rawIds;
 * timestamps are epoch milliseconds, metadata and system-message payloads JSON text.
 */
export interface ChatThreadsTable {
  /** `19:<random>@thread.v2` */
  id: string;
  resource_id: string;
  topic: string;
  created_by: string;
  created_at: number;
  deleted_at: number | null;
  /** JSON object of string values, or null. */
  metadata: string | null;
  /** JSON ChatRetentionPolicy, or null. */
  retention_policy: string | null;
  /** The last sequence id handed out (messages and system messages share the sequence). */
  last_sequence_id: number;
  /** The last message id handed out: epoch-ms-like, strictly increasing per thread. */
  last_message_id: number;
  last_message_at: number | null;
  /** The creator's `repeatability-request-id`; unique per (resource, creator), so retries find the same thread. */
  repeatability_id: string | null;
}

export interface ChatParticipantsTable {
  thread_id: string;
  raw_id: string;
  display_name: string | null;
  share_history_time: number | null;
  metadata: string | null;
  added_at: number;
}

export interface ChatMessagesTable {
  thread_id: string;
  id: number;
  sequence_id: number;
  /** text | html | topicUpdated | participantAdded | participantRemoved */
  type: string;
  /** The message body (text/html messages). */
  content: string | null;
  /** System messages: JSON `{topic?, participants?, initiator?}`. */
  system_content: string | null;
  sender_raw_id: string | null;
  sender_display_name: string | null;
  metadata: string | null;
  created_at: number;
  edited_at: number | null;
  deleted_at: number | null;
  version: number;
}

export interface ChatReadReceiptsTable {
  thread_id: string;
  sender_raw_id: string;
  message_id: number;
  read_on: number;
}

export interface ChatTables {
  chat_threads: ChatThreadsTable;
  chat_participants: ChatParticipantsTable;
  chat_messages: ChatMessagesTable;
  chat_read_receipts: ChatReadReceiptsTable;
}
