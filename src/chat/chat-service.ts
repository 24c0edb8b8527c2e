import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { AcsError } from "../errors/acs-errors.js";
import type { Resource } from "../resources/resource.js";
import type { Database } from "../store/schema.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import type { ChatEvents } from "../events/chat-events.js";
import type { ChatRealtime } from "./chat-realtime.js";
import { checkContent, checkDisplayName, checkMessageId, checkThreadId, checkTopic, mergeMetadata, metadataText, parseMetadata } from "./chat-checks.js";
import {
  DELETED_USER_DISPLAY_NAME,
  MAX_MESSAGE_METADATA_BYTES,
  MAX_PARTICIPANT_METADATA_BYTES,
  MAX_PARTICIPANTS,
  MAX_THREAD_METADATA_BYTES,
} from "./chat-limits.js";
import type { ChatRepository, MessageRow, NewParticipant, ParticipantRow, ThreadRow } from "./chat-repository.js";
import type {
  InvalidParticipant,
  MessageView,
  Metadata,
  ParticipantInput,
  ParticipantView,
  RetentionPolicy,
  SystemContent,
  ThreadView,
} from "./chat-views.js";

const DAY_MS = 86_400_000;

function newThreadId(): string {
  return `19:${randomBytes(16).toString("hex")}@thread.v2`;
}

function toThreadView(row: ThreadRow): ThreadView {
  return {
    id: row.id,
    topic: row.topic,
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    metadata: parseMetadata(row.metadata),
    retentionPolicy: row.retention_policy === null ? undefined : (JSON.parse(row.retention_policy) as RetentionPolicy),
    lastMessageAt: row.last_message_at === null ? null : Number(row.last_message_at),
  };
}

function toNewParticipant(p: ParticipantInput, index: number): NewParticipant {
  return {
    rawId: p.rawId,
    displayName: checkDisplayName(p.displayName, `participants[${index}].displayName`),
    shareHistoryTime: p.shareHistoryTime ?? null,
    metadata: metadataText(p.metadata, MAX_PARTICIPANT_METADATA_BYTES, `participants[${index}].metadata`),
  };
}

/** The last occurrence of each rawId wins. */
function dedupe(participants: ParticipantInput[]): ParticipantInput[] {
  const byId = new Map<string, ParticipantInput>();
  for (const p of participants) byId.set(p.rawId, p);
  return [...byId.values()];
}

/** The retention policy of a thread whose policy was cleared. */
const NO_RETENTION: RetentionPolicy = { kind: "none" };

/**
 * Chat: threads, participants, messages and read receipts of one resource. Every operation is made by a caller
 * (the rawId of the token's identity) and is allowed only to participants of the thread: a thread that is unknown,
 * deleted, of another resource, or that the caller is not part of is the same 404 ThreadNotFound, so thread
 * existence never leaks. Scopes are checked before (route userScopes). One method per operation of the API, which
 * is why the file is long; validation lives in chat-checks.ts, storage in chat-repository.ts.
 */
export class ChatService {
  constructor(
    private readonly store: Store,
    private readonly repository: ChatRepository,
    private readonly clock: Clock,
    /** Event Grid chat events, recorded in each write's transaction (src/events). */
    private readonly events?: ChatEvents,
    /** Chat events pushed to connected users after each write commits (chat-realtime.ts). */
    private readonly realtime?: ChatRealtime,
  ) {}

  /** A realtime push never fails the operation that raised it (the change is committed). */
  private async push(send: (realtime: ChatRealtime) => Promise<void>): Promise<void> {
    if (this.realtime !== undefined && this.realtime.listening()) await send(this.realtime).catch(() => undefined);
  }

  /** The thread and the caller's participant row, or 404. */
  async requireMember(resource: Resource, threadId: string, caller: string): Promise<{ thread: ThreadRow; participant: ParticipantRow }> {
    checkThreadId(threadId);
    const found = await this.repository.findMembership(resource.id, threadId, caller);
    if (found === undefined || this.isExpired(found.thread)) throw new AcsError("ThreadNotFound");
    return found;
  }

  /** A thread whose retention policy ran out counts as deleted. */
  private isExpired(thread: Pick<ThreadRow, "created_at" | "retention_policy">): boolean {
    if (thread.retention_policy === null) return false;
    const policy = JSON.parse(thread.retention_policy) as RetentionPolicy;
    return (
      policy.kind === "threadCreationDate" &&
      policy.deleteThreadAfterDays !== undefined &&
      Number(thread.created_at) + policy.deleteThreadAfterDays * DAY_MS <= this.clock.now()
    );
  }

  async createThread(
    resource: Resource,
    caller: string,
    request: {
      topic: string;
      participants: ParticipantInput[];
      metadata?: Metadata | undefined;
      retentionPolicy?: RetentionPolicy | undefined;
      repeatabilityId?: string | undefined;
    },
  ): Promise<{ thread: ThreadView; invalid: InvalidParticipant[] }> {
    const topic = checkTopic(request.topic);
    const metadata = metadataText(request.metadata, MAX_THREAD_METADATA_BYTES, "metadata");
    const requested = dedupe(request.participants);
    const others = requested.filter((p) => p.rawId !== caller);
    if (others.length + 1 > MAX_PARTICIPANTS) throw new AcsError("TooManyParticipants");
    const creatorInput = requested.find((p) => p.rawId === caller) ?? { rawId: caller };
    const normalized = [creatorInput, ...others].map(toNewParticipant);

    // An earlier request with the same repeatability id: the same thread, nothing written.
    const repeatabilityId = request.repeatabilityId;
    if (repeatabilityId !== undefined) {
      const earlier = await this.repository.findByRepeatabilityId(this.store.db, resource.id, caller, repeatabilityId);
      if (earlier !== undefined) return { thread: toThreadView(earlier), invalid: [] };
    }

    const live = await this.repository.liveIdentities(
      resource.id,
      others.map((p) => p.rawId),
    );
    const valid = normalized.filter((p) => p.rawId === caller || live.has(p.rawId));
    const invalid = others.filter((p) => !live.has(p.rawId)).map((p) => ({ rawId: p.rawId }));
    const now = this.clock.now();
    const row: ThreadRow = {
      id: newThreadId(),
      resource_id: resource.id,
      topic,
      created_by: caller,
      created_at: now,
      deleted_at: null,
      metadata,
      retention_policy: request.retentionPolicy === undefined ? null : JSON.stringify(request.retentionPolicy),
      last_sequence_id: 0,
      last_message_id: 0,
      last_message_at: null,
      repeatability_id: repeatabilityId ?? null,
    };
    const thread = await this.store.write(async (trx) => {
      if (!(await this.repository.insertThread(trx, row))) {
        // A concurrent retry won the unique index: answer with its thread.
        return (await this.repository.findByRepeatabilityId(trx, resource.id, caller, repeatabilityId!))!;
      }
      await this.repository.insertParticipants(trx, row.id, valid, now);
      await this.appendSystemMessage(trx, row.id, "participantAdded", { participants: valid.map(systemParticipant), initiator: caller }, now);
      await this.events?.threadCreated(trx, resource, row.id);
      return row;
    });
    if (thread.id === row.id) await this.push((r) => r.threadCreated(resource.id, row.id));
    return { thread: toThreadView(thread), invalid: thread.id === row.id ? invalid : [] };
  }

  async getThread(resource: Resource, caller: string, threadId: string): Promise<ThreadView> {
    const { thread } = await this.requireMember(resource, threadId, caller);
    return toThreadView(thread);
  }

  async listThreads(
    resource: Resource,
    caller: string,
    options: { limit: number; after?: { createdAt: number; id: string }; activeSince?: number },
  ): Promise<{ threads: ThreadView[]; more: boolean }> {
    const rows = await this.repository.listThreadsOf(resource.id, caller, { ...options, limit: options.limit + 1 });
    const live = rows.filter((r) => !this.isExpired(r));
    return { threads: live.slice(0, options.limit).map(toThreadView), more: rows.length > options.limit };
  }

  async updateThread(
    resource: Resource,
    caller: string,
    threadId: string,
    changes: { topic?: string | undefined; metadata?: Record<string, string | null> | undefined; retentionPolicy?: RetentionPolicy | null | undefined },
  ): Promise<void> {
    const { thread } = await this.requireMember(resource, threadId, caller);
    const set: { topic?: string; metadata?: string | null; retention_policy?: string | null } = {};
    if (changes.topic !== undefined) set.topic = checkTopic(changes.topic);
    if (changes.metadata !== undefined) {
      set.metadata = mergeMetadata(thread.metadata, changes.metadata, MAX_THREAD_METADATA_BYTES, "metadata");
    }
    if (changes.retentionPolicy !== undefined) {
      // ACS: clearing the policy (merge-patch null) leaves the thread with {kind: "none"}, which GET then returns.
      set.retention_policy = JSON.stringify(changes.retentionPolicy ?? NO_RETENTION);
    }
    const now = this.clock.now();
    await this.store.write(async (trx) => {
      await this.repository.updateThread(trx, threadId, set);
      if (set.topic !== undefined) await this.appendSystemMessage(trx, threadId, "topicUpdated", { topic: set.topic, initiator: caller }, now);
      await this.events?.threadUpdated(trx, resource, threadId, caller, now);
    });
    await this.push((r) => r.threadUpdated(resource.id, threadId, caller, now));
  }

  async deleteThread(resource: Resource, caller: string, threadId: string): Promise<void> {
    await this.requireMember(resource, threadId, caller);
    const now = this.clock.now();
    await this.store.write(async (trx) => {
      await this.repository.markThreadDeleted(trx, threadId, now);
      await this.events?.threadDeleted(trx, resource, threadId, caller, now);
    });
    await this.push((r) => r.threadDeleted(resource.id, threadId, caller, now));
  }

  async addParticipants(resource: Resource, caller: string, threadId: string, participants: ParticipantInput[]): Promise<InvalidParticipant[]> {
    await this.requireMember(resource, threadId, caller);
    const requested = dedupe(participants);
    const normalized = requested.map(toNewParticipant);
    const live = await this.repository.liveIdentities(
      resource.id,
      requested.map((p) => p.rawId),
    );
    const valid = normalized.filter((p) => live.has(p.rawId));
    const invalid = requested.filter((p) => !live.has(p.rawId)).map((p) => ({ rawId: p.rawId }));
    if (valid.length === 0) return invalid;
    const now = this.clock.now();
    const added = await this.store.write(async (trx) => {
      const existing = new Set((await this.repository.findParticipants(trx, threadId, valid.map((p) => p.rawId))).map((p) => p.raw_id));
      const fresh = valid.filter((p) => !existing.has(p.rawId));
      if ((await this.repository.countParticipants(trx, threadId)) + fresh.length > MAX_PARTICIPANTS) throw new AcsError("TooManyParticipants");
      for (const p of valid) if (existing.has(p.rawId)) await this.repository.updateParticipant(trx, threadId, p);
      await this.repository.insertParticipants(trx, threadId, fresh, now);
      if (fresh.length > 0) {
        await this.appendSystemMessage(trx, threadId, "participantAdded", { participants: fresh.map(systemParticipant), initiator: caller }, now);
        await this.events?.participantsChanged(trx, resource, threadId, caller, { added: fresh.map((p) => p.rawId) }, now);
      }
      return fresh.map((p) => p.rawId);
    });
    if (added.length > 0) await this.push((r) => r.participantsAdded(resource.id, threadId, caller, added, now));
    return invalid;
  }

  async removeParticipant(resource: Resource, caller: string, threadId: string, rawId: string): Promise<void> {
    await this.requireMember(resource, threadId, caller);
    const now = this.clock.now();
    const removed = await this.store.write(async (trx) => {
      const [row] = await this.repository.findParticipants(trx, threadId, [rawId]);
      // ACS answers 204 for an identity that is not (or no longer) in the thread: removal is idempotent.
      if (row === undefined) return undefined;
      await this.repository.deleteParticipant(trx, threadId, rawId);
      await this.appendSystemMessage(
        trx,
        threadId,
        "participantRemoved",
        { participants: [{ rawId, displayName: row.display_name, shareHistoryTime: row.share_history_time }], initiator: caller },
        now,
      );
      await this.events?.participantsChanged(trx, resource, threadId, caller, { removed: row }, now);
      return row;
    });
    if (removed !== undefined) await this.push((r) => r.participantRemoved(resource.id, threadId, caller, removed, now));
  }

  async listParticipants(
    resource: Resource,
    caller: string,
    threadId: string,
    page: { skip: number; limit: number },
  ): Promise<{ participants: ParticipantView[]; more: boolean }> {
    await this.requireMember(resource, threadId, caller);
    const rows = await this.repository.listParticipants(threadId, { skip: page.skip, limit: page.limit + 1 });
    const deleted = await this.repository.deletedIdentities(rows.map((r) => r.raw_id));
    const participants = rows.slice(0, page.limit).map((r) => ({
      rawId: r.raw_id,
      displayName: deleted.has(r.raw_id) ? DELETED_USER_DISPLAY_NAME : (r.display_name ?? undefined),
      shareHistoryTime: r.share_history_time === null ? null : Number(r.share_history_time),
      metadata: parseMetadata(r.metadata),
    }));
    return { participants, more: rows.length > page.limit };
  }

  async sendMessage(
    resource: Resource,
    caller: string,
    threadId: string,
    message: { content: string; type: "text" | "html"; senderDisplayName?: string | undefined; metadata?: Metadata | undefined },
  ): Promise<string> {
    const content = checkContent(message.content);
    const senderDisplayName = checkDisplayName(message.senderDisplayName, "senderDisplayName");
    const metadata = metadataText(message.metadata, MAX_MESSAGE_METADATA_BYTES, "metadata");
    checkThreadId(threadId);
    const now = this.clock.now();
    // Membership, liveness and the next ids in one statement inside the (group-committed) write.
    const id = await this.store.write(async (trx) => {
      const slot = await this.repository.reserveSenderSlot(trx, resource.id, threadId, caller, now);
      if (slot === undefined || this.isExpired({ created_at: slot.createdAt, retention_policy: slot.retentionPolicy })) {
        throw new AcsError("ThreadNotFound");
      }
      await this.repository.insertMessage(
        trx,
        threadId,
        slot,
        { type: message.type, content, systemContent: null, senderRawId: caller, senderDisplayName, metadata },
        now,
      );
      await this.events?.messageSent(trx, resource, threadId, slot.messageId);
      return slot.messageId;
    });
    await this.push((r) => r.messageReceived(resource.id, threadId, id));
    return String(id);
  }

  async getMessage(resource: Resource, caller: string, threadId: string, messageId: string): Promise<MessageView> {
    const id = checkMessageId(messageId);
    const { participant } = await this.requireMember(resource, threadId, caller);
    const row = await this.repository.findMessage(threadId, id);
    if (row === undefined || !visibleTo(row, participant)) throw new AcsError("MessageNotFound");
    const [view] = await this.toMessageViews([row]);
    return view!;
  }

  async listMessages(
    resource: Resource,
    caller: string,
    threadId: string,
    page: { limit: number; beforeId?: number; startTime?: number },
  ): Promise<{ messages: MessageView[]; more: boolean }> {
    const { participant } = await this.requireMember(resource, threadId, caller);
    const notBefore = Math.max(page.startTime ?? 0, participant.share_history_time ?? 0) || undefined;
    const rows = await this.repository.listMessages(threadId, {
      limit: page.limit + 1,
      ...(page.beforeId !== undefined ? { beforeId: page.beforeId } : {}),
      ...(notBefore !== undefined ? { notBefore } : {}),
    });
    return { messages: await this.toMessageViews(rows.slice(0, page.limit)), more: rows.length > page.limit };
  }

  async updateMessage(
    resource: Resource,
    caller: string,
    threadId: string,
    messageId: string,
    changes: { content?: string | undefined; metadata?: Record<string, string | null> | undefined },
  ): Promise<void> {
    const id = checkMessageId(messageId);
    if (changes.content !== undefined) checkContent(changes.content);
    await this.requireMember(resource, threadId, caller);
    const now = this.clock.now();
    await this.store.write(async (trx) => {
      const row = await this.ownMessage(trx, threadId, id, caller);
      if (row.deleted_at !== null) throw new AcsError("MessageNotFound");
      const set: { content?: string; metadata?: string | null; edited_at: number } = { edited_at: now };
      if (changes.content !== undefined) set.content = changes.content;
      if (changes.metadata !== undefined) {
        set.metadata = mergeMetadata(row.metadata, changes.metadata, MAX_MESSAGE_METADATA_BYTES, "metadata");
      }
      await this.repository.updateMessage(trx, threadId, id, set, now);
      await this.events?.messageEdited(trx, resource, threadId, id);
    });
    await this.push((r) => r.messageEdited(resource.id, threadId, id));
  }

  /** Deleting a deleted message is a no-op (204 again). */
  async deleteMessage(resource: Resource, caller: string, threadId: string, messageId: string): Promise<void> {
    const id = checkMessageId(messageId);
    await this.requireMember(resource, threadId, caller);
    const now = this.clock.now();
    const deleted = await this.store.write(async (trx) => {
      const row = await this.ownMessage(trx, threadId, id, caller);
      if (row.deleted_at !== null) return false;
      await this.repository.updateMessage(trx, threadId, id, { deleted_at: now }, now);
      await this.events?.messageDeleted(trx, resource, threadId, id);
      return true;
    });
    if (deleted) await this.push((r) => r.messageDeleted(resource.id, threadId, id));
  }

  async sendReadReceipt(resource: Resource, caller: string, threadId: string, messageId: string): Promise<void> {
    const id = checkMessageId(messageId);
    const { participant } = await this.requireMember(resource, threadId, caller);
    const row = await this.repository.findMessage(threadId, id);
    if (row === undefined || !visibleTo(row, participant)) throw new AcsError("MessageNotFound");
    const now = this.clock.now();
    await this.store.write((trx) => this.repository.upsertReadReceipt(trx, threadId, caller, id, now));
    await this.push((r) => r.readReceipt(resource.id, threadId, caller, id, now));
  }

  async listReadReceipts(
    resource: Resource,
    caller: string,
    threadId: string,
    page: { skip: number; limit: number },
  ): Promise<{ receipts: Array<{ rawId: string; messageId: string; readOn: number }>; more: boolean }> {
    await this.requireMember(resource, threadId, caller);
    const rows = await this.repository.listReadReceipts(threadId, { skip: page.skip, limit: page.limit + 1 });
    return {
      receipts: rows.slice(0, page.limit).map((r) => ({ rawId: r.sender_raw_id, messageId: String(r.message_id), readOn: Number(r.read_on) })),
      more: rows.length > page.limit,
    };
  }

  /** Typing notifications from participants reach the other participants' sockets (nothing is stored). */
  async sendTyping(resource: Resource, caller: string, threadId: string, senderDisplayName?: string): Promise<void> {
    await this.requireMember(resource, threadId, caller);
    await this.push((r) => r.typing(resource.id, threadId, caller, senderDisplayName, this.clock.now()));
  }

  private async ownMessage(db: Kysely<Database>, threadId: string, id: number, caller: string): Promise<MessageRow> {
    const row = await this.repository.findMessage(threadId, id, db);
    if (row === undefined) throw new AcsError("MessageNotFound");
    if (row.type !== "text" && row.type !== "html") throw new AcsError("SystemMessageNotEditable");
    if (row.sender_raw_id !== caller) throw new AcsError("NotMessageSender");
    return row;
  }

  private async appendSystemMessage(
    db: Kysely<Database>,
    threadId: string,
    type: "participantAdded" | "participantRemoved" | "topicUpdated",
    content: SystemContent,
    now: number,
  ): Promise<void> {
    const slot = await this.repository.nextMessageSlot(db, threadId, now);
    if (slot === undefined) throw new AcsError("ThreadNotFound");
    await this.repository.insertMessage(
      db,
      threadId,
      slot,
      { type, content: null, systemContent: JSON.stringify(content), senderRawId: null, senderDisplayName: null, metadata: null },
      now,
    );
  }

  /** Rows to views; identities deleted since are shown as DELETED_USER_DISPLAY_NAME. */
  private async toMessageViews(rows: MessageRow[]): Promise<MessageView[]> {
    const ids = new Set<string>();
    const systems = rows.map((r) => (r.system_content === null ? undefined : (JSON.parse(r.system_content) as SystemContent)));
    rows.forEach((r, i) => {
      if (r.sender_raw_id !== null) ids.add(r.sender_raw_id);
      for (const p of systems[i]?.participants ?? []) ids.add(p.rawId);
    });
    const deleted = await this.repository.deletedIdentities([...ids]);
    const name = (rawId: string, given: string | null): string | undefined => (deleted.has(rawId) ? DELETED_USER_DISPLAY_NAME : (given ?? undefined));
    return rows.map((r, i) => {
      const system = systems[i];
      const isDeleted = r.deleted_at !== null;
      return {
        id: String(r.id),
        type: r.type,
        sequenceId: String(r.sequence_id),
        version: String(r.version),
        content: isDeleted ? undefined : (r.content ?? undefined),
        topic: system?.topic,
        participants: system?.participants?.map((p) => ({
          rawId: p.rawId,
          displayName: name(p.rawId, p.displayName),
          shareHistoryTime: p.shareHistoryTime,
          metadata: {},
        })),
        initiator: system?.initiator,
        senderRawId: r.sender_raw_id ?? undefined,
        senderDisplayName: r.sender_raw_id === null ? undefined : name(r.sender_raw_id, r.sender_display_name),
        metadata: r.metadata === null || isDeleted ? undefined : parseMetadata(r.metadata),
        createdAt: Number(r.created_at),
        editedAt: r.edited_at === null ? null : Number(r.edited_at),
        deletedAt: r.deleted_at === null ? null : Number(r.deleted_at),
      };
    });
  }
}

function systemParticipant(p: NewParticipant): { rawId: string; displayName: string | null; shareHistoryTime: number | null } {
  return { rawId: p.rawId, displayName: p.displayName, shareHistoryTime: p.shareHistoryTime };
}

/** A participant added with a shareHistoryTime sees only messages from that time on. */
function visibleTo(row: MessageRow, participant: ParticipantRow): boolean {
  return participant.share_history_time === null || Number(row.created_at) >= participant.share_history_time;
}
