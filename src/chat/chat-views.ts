/** What the chat service returns and takes: plain values, serialized to the wire by chat-serialize.ts. */
export type Metadata = Record<string, string>;

export interface ParticipantInput {
  rawId: string;
  displayName?: string | undefined;
  shareHistoryTime?: number | undefined;
  metadata?: Metadata | undefined;
}

export interface RetentionPolicy {
  kind: "threadCreationDate" | "none";
  deleteThreadAfterDays?: number;
}

/** A thread as the service returns it. */
export interface ThreadView {
  id: string;
  topic: string;
  createdBy: string;
  createdAt: number;
  metadata: Metadata;
  retentionPolicy: RetentionPolicy | undefined;
  lastMessageAt: number | null;
}

export interface ParticipantView {
  rawId: string;
  displayName: string | undefined;
  shareHistoryTime: number | null;
  metadata: Metadata;
}

export interface MessageView {
  id: string;
  type: string;
  sequenceId: string;
  version: string;
  content: string | undefined;
  topic: string | undefined;
  participants: ParticipantView[] | undefined;
  initiator: string | undefined;
  senderRawId: string | undefined;
  senderDisplayName: string | undefined;
  metadata: Metadata | undefined;
  createdAt: number;
  editedAt: number | null;
  deletedAt: number | null;
}

export interface InvalidParticipant {
  rawId: string;
}

export interface SystemContent {
  topic?: string;
  participants?: Array<{ rawId: string; displayName: string | null; shareHistoryTime: number | null }>;
  initiator?: string;
}

