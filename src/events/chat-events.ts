import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { ChatEventRepository } from "../chat/chat-event-repository.js";
import { identifierFromRawId } from "../chat/communication-identifier.js";
import type { Database } from "../store/schema.js";
import type { AcsEvent } from "./event-envelope.js";
import type { EventRecorder, EventResource } from "./event-recorder.js";

const NS = "Microsoft.Communication.";
export const CHAT_EVENT_TYPES = {
  messageReceived: `${NS}ChatMessageReceived`,
  messageReceivedInThread: `${NS}ChatMessageReceivedInThread`,
  messageEdited: `${NS}ChatMessageEdited`,
  messageEditedInThread: `${NS}ChatMessageEditedInThread`,
  messageDeleted: `${NS}ChatMessageDeleted`,
  messageDeletedInThread: `${NS}ChatMessageDeletedInThread`,
  threadCreatedWithUser: `${NS}ChatThreadCreatedWithUser`,
  threadCreated: `${NS}ChatThreadCreated`,
  threadWithUserDeleted: `${NS}ChatThreadWithUserDeleted`,
  threadDeleted: `${NS}ChatThreadDeleted`,
  threadPropertiesUpdatedPerUser: `${NS}ChatThreadPropertiesUpdatedPerUser`,
  threadPropertiesUpdated: `${NS}ChatThreadPropertiesUpdated`,
  participantAddedToThreadWithUser: `${NS}ChatParticipantAddedToThreadWithUser`,
  threadParticipantAdded: `${NS}ChatThreadParticipantAdded`,
  participantRemovedFromThreadWithUser: `${NS}ChatParticipantRemovedFromThreadWithUser`,
  threadParticipantRemoved: `${NS}ChatThreadParticipantRemoved`,
} as const;

type Db = Kysely<Database>;
const T = CHAT_EVENT_TYPES;
const id = identifierFromRawId;
const iso = (ms: number | null | undefined): string => new Date(Number(ms ?? 0)).toISOString();

function metadataOf(text: string | null): Record<string, string> {
  return text === null ? {} : (JSON.parse(text) as Record<string, string>);
}

interface Member {
  raw_id: string;
  display_name: string | null;
  metadata: string | null;
}

function participantModel(p: Member): Record<string, unknown> {
  return {
    ...(p.display_name !== null ? { displayName: p.display_name } : {}),
    participantCommunicationIdentifier: id(p.raw_id),
    metadata: metadataOf(p.metadata),
  };
}

/**
 * The ACS chat events (names, subjects and data as Event Grid delivers them): per-user events go to each participant
 * (`recipientCommunicationIdentifier`), thread-level ones (`…InThread`, `ChatThread…`) once per change. Each method is
 * called inside the chat write that makes the change, reads what it needs through that transaction, and does nothing
 * when no active subscription of the resource wants the types.
 */
export class ChatEvents {
  private readonly reads = new ChatEventRepository();

  constructor(private readonly recorder: EventRecorder) {}

  private members(db: Db, threadId: string): Promise<Member[]> {
    return this.reads.members(db, threadId);
  }

  private async message(db: Db, resource: EventResource, threadId: string, messageId: number, per: string, inThread: string, extra: (m: { deleted_at: number | null; edited_at: number | null }) => Record<string, unknown>): Promise<void> {
    if (!(await this.recorder.wants(db, resource.id, [per, inThread]))) return;
    const m = await this.reads.findMessage(db, threadId, messageId);
    if (m === undefined || m.sender_raw_id === null) return;
    const sender = m.sender_raw_id;
    const transactionId = randomUUID();
    const base = {
      messageId: String(m.id),
      senderCommunicationIdentifier: id(sender),
      ...(m.sender_display_name !== null ? { senderDisplayName: m.sender_display_name } : {}),
      composeTime: iso(m.created_at),
      type: m.type === "html" ? "Html" : "Text",
      version: Number(m.version),
      transactionId,
      threadId,
      ...extra(m),
    };
    const body = m.deleted_at === null ? { messageBody: m.content ?? "", metadata: metadataOf(m.metadata) } : {};
    const events: AcsEvent[] = (await this.members(db, threadId))
      .filter((p) => p.raw_id !== sender)
      .map((p) => ({
        eventType: per,
        subject: `thread/${threadId}/sender/${sender}/recipient/${p.raw_id}`,
        data: { ...base, ...body, recipientCommunicationIdentifier: id(p.raw_id) },
      }));
    events.push({ eventType: inThread, subject: `thread/${threadId}/sender/${sender}`, data: { ...base, ...body } });
    await this.recorder.record(db, resource, events);
  }

  /** ChatMessageReceived (each participant but the sender) and ChatMessageReceivedInThread. */
  messageSent(db: Db, resource: EventResource, threadId: string, messageId: number): Promise<void> {
    return this.message(db, resource, threadId, messageId, T.messageReceived, T.messageReceivedInThread, () => ({}));
  }

  messageEdited(db: Db, resource: EventResource, threadId: string, messageId: number): Promise<void> {
    return this.message(db, resource, threadId, messageId, T.messageEdited, T.messageEditedInThread, (m) => ({ editTime: iso(m.edited_at) }));
  }

  messageDeleted(db: Db, resource: EventResource, threadId: string, messageId: number): Promise<void> {
    return this.message(db, resource, threadId, messageId, T.messageDeleted, T.messageDeletedInThread, (m) => ({ deleteTime: iso(m.deleted_at) }));
  }

  private async thread(db: Db, threadId: string) {
    return this.reads.getThread(db, threadId);
  }

  /** ChatThreadCreatedWithUser (each participant) and ChatThreadCreated. */
  async threadCreated(db: Db, resource: EventResource, threadId: string): Promise<void> {
    if (!(await this.recorder.wants(db, resource.id, [T.threadCreatedWithUser, T.threadCreated]))) return;
    const t = await this.thread(db, threadId);
    const members = await this.members(db, threadId);
    const base = {
      createdByCommunicationIdentifier: id(t.created_by),
      properties: { topic: t.topic },
      metadata: metadataOf(t.metadata),
      participants: members.map(participantModel),
      createTime: iso(t.created_at),
      version: Number(t.created_at),
      transactionId: randomUUID(),
      threadId,
    };
    await this.recorder.record(db, resource, [
      ...members.map((p) => ({
        eventType: T.threadCreatedWithUser,
        subject: `thread/${threadId}/createdBy/${t.created_by}/recipient/${p.raw_id}`,
        data: { ...base, recipientCommunicationIdentifier: id(p.raw_id) },
      })),
      { eventType: T.threadCreated, subject: `thread/${threadId}/createdBy/${t.created_by}`, data: base },
    ]);
  }

  /** ChatThreadPropertiesUpdatedPerUser (each participant) and ChatThreadPropertiesUpdated. */
  async threadUpdated(db: Db, resource: EventResource, threadId: string, editedBy: string, now: number): Promise<void> {
    if (!(await this.recorder.wants(db, resource.id, [T.threadPropertiesUpdatedPerUser, T.threadPropertiesUpdated]))) return;
    const t = await this.thread(db, threadId);
    const base = {
      editedByCommunicationIdentifier: id(editedBy),
      editTime: iso(now),
      properties: { topic: t.topic },
      metadata: metadataOf(t.metadata),
      createTime: iso(t.created_at),
      version: now,
      transactionId: randomUUID(),
      threadId,
    };
    await this.recorder.record(db, resource, [
      ...(await this.members(db, threadId)).map((p) => ({
        eventType: T.threadPropertiesUpdatedPerUser,
        subject: `thread/${threadId}/editedBy/${editedBy}/recipient/${p.raw_id}`,
        data: { ...base, recipientCommunicationIdentifier: id(p.raw_id) },
      })),
      { eventType: T.threadPropertiesUpdated, subject: `thread/${threadId}/editedBy/${editedBy}`, data: base },
    ]);
  }

  /** ChatThreadWithUserDeleted (each participant) and ChatThreadDeleted. */
  async threadDeleted(db: Db, resource: EventResource, threadId: string, deletedBy: string, now: number): Promise<void> {
    if (!(await this.recorder.wants(db, resource.id, [T.threadWithUserDeleted, T.threadDeleted]))) return;
    const t = await this.thread(db, threadId);
    const base = { deletedByCommunicationIdentifier: id(deletedBy), deleteTime: iso(now), createTime: iso(t.created_at), version: now, transactionId: randomUUID(), threadId };
    await this.recorder.record(db, resource, [
      ...(await this.members(db, threadId)).map((p) => ({
        eventType: T.threadWithUserDeleted,
        subject: `thread/${threadId}/deletedBy/${deletedBy}/recipient/${p.raw_id}`,
        data: { ...base, recipientCommunicationIdentifier: id(p.raw_id) },
      })),
      { eventType: T.threadDeleted, subject: `thread/${threadId}/deletedBy/${deletedBy}`, data: base },
    ]);
  }

  /**
   * Participants added (after the insert) or removed (after the delete; `removed` is the removed row, which also
   * gets its per-user event): one per-user event per (change, participant) and one thread-level event per change.
   */
  async participantsChanged(db: Db, resource: EventResource, threadId: string, by: string, change: { added: string[] } | { removed: Member }, now: number): Promise<void> {
    const adding = "added" in change;
    const per = adding ? T.participantAddedToThreadWithUser : T.participantRemovedFromThreadWithUser;
    const inThread = adding ? T.threadParticipantAdded : T.threadParticipantRemoved;
    if (!(await this.recorder.wants(db, resource.id, [per, inThread]))) return;
    const t = await this.thread(db, threadId);
    const members = await this.members(db, threadId);
    const changed = adding ? members.filter((m) => change.added.includes(m.raw_id)) : [change.removed];
    const recipients = adding ? members : [...members, change.removed];
    const verb = adding ? "participantAdded" : "participantRemoved";
    const events: AcsEvent[] = [];
    for (const c of changed) {
      const base = {
        time: iso(now),
        [adding ? "addedByCommunicationIdentifier" : "removedByCommunicationIdentifier"]: id(by),
        [verb]: participantModel(c),
        createTime: iso(t.created_at),
        version: now,
        transactionId: randomUUID(),
        threadId,
      };
      for (const r of recipients) {
        events.push({ eventType: per, subject: `thread/${threadId}/${verb}/${c.raw_id}/recipient/${r.raw_id}`, data: { ...base, recipientCommunicationIdentifier: id(r.raw_id) } });
      }
      events.push({ eventType: inThread, subject: `thread/${threadId}/${verb}/${c.raw_id}`, data: base });
    }
    await this.recorder.record(db, resource, events);
  }
}
