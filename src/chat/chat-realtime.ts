import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import { parseMetadata } from "./chat-checks.js";
import { ChatEventRepository } from "./chat-event-repository.js";
import type { ParticipantRow } from "./chat-repository.js";

/**
 * Chat events pushed to connected users (the signaling WebSocket), with the Chat SDK's realtime event names and
 * payloads (@azure/communication-signaling `events/chat.d.ts`). Each is sent after the write commits, to the
 * thread's participants only; the socket adds `recipient` per connection. Dates travel as ISO strings.
 */
export type ChatRealtimeEventName =
  | "chatMessageReceived"
  | "chatMessageEdited"
  | "chatMessageDeleted"
  | "typingIndicatorReceived"
  | "readReceiptReceived"
  | "chatThreadCreated"
  | "chatThreadDeleted"
  | "chatThreadPropertiesUpdated"
  | "participantsAdded"
  | "participantsRemoved";

/** Where the events go: the realtime bus (every replica delivers to its own sockets). */
export type ChatRealtimePublish = (resourceId: string, recipients: string[], event: ChatRealtimeEventName, payload: Record<string, unknown>) => void;

type Db = Kysely<Database>;
const iso = (ms: number | null | undefined): string => new Date(Number(ms ?? 0)).toISOString();

/** The CommunicationIdentifierKind of a rawId, as the signaling payloads carry it. */
export function identifierKind(rawId: string): Record<string, unknown> {
  if (rawId.startsWith("8:acs:") || rawId.startsWith("8:spool:") || rawId.startsWith("8:gcch-acs:") || rawId.startsWith("8:dod-acs:")) {
    return { kind: "communicationUser", communicationUserId: rawId };
  }
  if (rawId.startsWith("4:")) return { kind: "phoneNumber", phoneNumber: rawId.slice(2), rawId };
  return { kind: "unknown", id: rawId };
}

interface Member {
  raw_id: string;
  display_name: string | null;
  share_history_time: number | null;
  metadata: string | null;
}

function participant(p: Member | undefined, rawId: string): Record<string, unknown> {
  return {
    id: identifierKind(rawId),
    displayName: p?.display_name ?? "",
    ...(p?.share_history_time != null ? { shareHistoryTime: iso(p.share_history_time) } : {}),
    metadata: parseMetadata(p?.metadata ?? null),
  };
}

function retention(text: string | null): Record<string, unknown> {
  return text === null ? { kind: "none" } : (JSON.parse(text) as Record<string, unknown>);
}

export class ChatRealtime {
  private readonly reads = new ChatEventRepository();

  constructor(
    private readonly db: () => Db,
    private readonly publish: ChatRealtimePublish,
    /** False while no socket can hear an event: then none is built (chat-service.ts skips the push). */
    readonly listening: () => boolean = () => true,
  ) {}

  private members(threadId: string): Promise<Member[]> {
    return this.reads.recipients(this.db(), threadId);
  }

  private thread(threadId: string) {
    return this.reads.findThread(this.db(), threadId);
  }

  private async message(resourceId: string, threadId: string, messageId: number, event: "chatMessageReceived" | "chatMessageEdited" | "chatMessageDeleted"): Promise<void> {
    const m = await this.reads.findMessage(this.db(), threadId, messageId);
    if (m === undefined || m.sender_raw_id === null) return;
    const members = await this.members(threadId);
    const payload: Record<string, unknown> = {
      threadId,
      sender: identifierKind(m.sender_raw_id),
      senderDisplayName: m.sender_display_name ?? "",
      id: String(m.id),
      createdOn: iso(m.created_at),
      version: String(m.version),
      type: m.type === "html" ? "Html" : "Text",
    };
    if (event === "chatMessageDeleted") {
      payload.deletedOn = iso(m.deleted_at);
    } else {
      payload.message = m.content ?? "";
      payload.metadata = parseMetadata(m.metadata);
      if (event === "chatMessageEdited") payload.editedOn = iso(m.edited_at);
    }
    // A participant whose history starts after the message does not see it.
    const recipients = members.filter((p) => p.share_history_time === null || Number(p.share_history_time) <= Number(m.created_at)).map((p) => p.raw_id);
    this.publish(resourceId, recipients, event, payload);
  }

  messageReceived(resourceId: string, threadId: string, messageId: number): Promise<void> {
    return this.message(resourceId, threadId, messageId, "chatMessageReceived");
  }

  messageEdited(resourceId: string, threadId: string, messageId: number): Promise<void> {
    return this.message(resourceId, threadId, messageId, "chatMessageEdited");
  }

  messageDeleted(resourceId: string, threadId: string, messageId: number): Promise<void> {
    return this.message(resourceId, threadId, messageId, "chatMessageDeleted");
  }

  async typing(resourceId: string, threadId: string, sender: string, senderDisplayName: string | undefined, now: number): Promise<void> {
    const members = await this.members(threadId);
    const own = members.find((p) => p.raw_id === sender);
    const payload = {
      threadId,
      sender: identifierKind(sender),
      senderDisplayName: senderDisplayName ?? own?.display_name ?? "",
      version: String(now),
      receivedOn: iso(now),
    };
    this.publish(resourceId, members.map((p) => p.raw_id).filter((id) => id !== sender), "typingIndicatorReceived", payload);
  }

  async readReceipt(resourceId: string, threadId: string, sender: string, messageId: number, now: number): Promise<void> {
    const members = await this.members(threadId);
    const own = members.find((p) => p.raw_id === sender);
    const payload = { threadId, sender: identifierKind(sender), senderDisplayName: own?.display_name ?? "", chatMessageId: String(messageId), readOn: iso(now) };
    this.publish(resourceId, members.map((p) => p.raw_id), "readReceiptReceived", payload);
  }

  async threadCreated(resourceId: string, threadId: string): Promise<void> {
    const t = await this.thread(threadId);
    if (t === undefined) return;
    const members = await this.members(threadId);
    const payload = {
      threadId,
      version: String(t.created_at),
      createdOn: iso(t.created_at),
      properties: { topic: t.topic, metadata: parseMetadata(t.metadata) },
      participants: members.map((p) => participant(p, p.raw_id)),
      createdBy: participant(members.find((p) => p.raw_id === t.created_by), t.created_by),
      retentionPolicy: retention(t.retention_policy),
    };
    this.publish(resourceId, members.map((p) => p.raw_id), "chatThreadCreated", payload);
  }

  async threadUpdated(resourceId: string, threadId: string, caller: string, now: number): Promise<void> {
    const t = await this.thread(threadId);
    if (t === undefined) return;
    const members = await this.members(threadId);
    const payload = {
      threadId,
      version: String(now),
      properties: { topic: t.topic, metadata: parseMetadata(t.metadata) },
      updatedOn: iso(now),
      updatedBy: participant(members.find((p) => p.raw_id === caller), caller),
      retentionPolicy: retention(t.retention_policy),
    };
    this.publish(resourceId, members.map((p) => p.raw_id), "chatThreadPropertiesUpdated", payload);
  }

  async threadDeleted(resourceId: string, threadId: string, caller: string, now: number): Promise<void> {
    const members = await this.members(threadId);
    const payload = { threadId, version: String(now), deletedOn: iso(now), deletedBy: participant(members.find((p) => p.raw_id === caller), caller), reason: "" };
    this.publish(resourceId, members.map((p) => p.raw_id), "chatThreadDeleted", payload);
  }

  async participantsAdded(resourceId: string, threadId: string, caller: string, added: string[], now: number): Promise<void> {
    const members = await this.members(threadId);
    const byId = new Map(members.map((p) => [p.raw_id, p]));
    const payload = {
      threadId,
      version: String(now),
      addedOn: iso(now),
      participantsAdded: added.map((id) => participant(byId.get(id), id)),
      addedBy: participant(byId.get(caller), caller),
    };
    this.publish(resourceId, members.map((p) => p.raw_id), "participantsAdded", payload);
  }

  /** Sent to the remaining participants and to the removed one. */
  async participantRemoved(resourceId: string, threadId: string, caller: string, removed: ParticipantRow, now: number): Promise<void> {
    const members = await this.members(threadId);
    const payload = {
      threadId,
      version: String(now),
      removedOn: iso(now),
      participantsRemoved: [participant(removed, removed.raw_id)],
      removedBy: participant(members.find((p) => p.raw_id === caller) ?? (caller === removed.raw_id ? removed : undefined), caller),
    };
    this.publish(resourceId, [...members.map((p) => p.raw_id), removed.raw_id], "participantsRemoved", payload);
  }
}
