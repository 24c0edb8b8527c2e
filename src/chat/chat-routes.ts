import { z } from "zod";
import type { UserScope } from "../auth/principal.js";
import { AcsError } from "../errors/acs-errors.js";
import { firstQuery, pageLink } from "../http/query.js";
import { defineRoute, type HandlerContext, type Reply, type RouteSpec } from "../http/route.js";
import { MAX_PARTICIPANTS, MAX_REPEATABILITY_ID_LENGTH } from "./chat-limits.js";
import {
  decodeMessageCursor,
  decodeThreadCursor,
  encodeThreadCursor,
  pageSizeOf,
  skipOf,
  startTimeOf,
} from "./chat-paging.js";
import { checkThreadId } from "./chat-checks.js";
import type { ChatService } from "./chat-service.js";
import type { ParticipantInput } from "./chat-views.js";
import { toMessageModel, toParticipantModel, toThreadItemModel, toThreadModel, invalidParticipantsModel } from "./chat-serialize.js";
import { identifierFromRawId, rawIdFromModel } from "./communication-identifier.js";

/** Any chat operation (read, send, receipts, typing). */
const ANY_CHAT: readonly UserScope[] = ["chat", "chat.join", "chat.join.limited"];
/** Adding and removing participants: not with chat.join.limited. */
const MANAGE_PARTICIPANTS: readonly UserScope[] = ["chat", "chat.join"];
/** Creating, updating and deleting threads: full `chat` only. */
const MANAGE_THREADS: readonly UserScope[] = ["chat"];

const metadata = z.record(z.string(), z.string());
const metadataPatch = z.record(z.string(), z.string().nullable());
const retentionPolicy = z
  .object({ kind: z.enum(["threadCreationDate", "none"]), deleteThreadAfterDays: z.number().int().min(1).max(36_500).optional() })
  .refine((p) => p.kind === "none" || p.deleteThreadAfterDays !== undefined, "threadCreationDate needs deleteThreadAfterDays");
const participant = z.object({
  communicationIdentifier: z.unknown(),
  displayName: z.string().optional(),
  shareHistoryTime: z.string().optional(),
  metadata: metadata.optional(),
});
type ParticipantBody = z.infer<typeof participant>;

const createThreadBody = z.object({
  topic: z.string(),
  participants: z.array(participant).optional(),
  metadata: metadata.optional(),
  retentionPolicy: retentionPolicy.optional(),
});
const updateThreadBody = z.object({
  topic: z.string().optional(),
  metadata: metadataPatch.optional(),
  retentionPolicy: retentionPolicy.nullable().optional(),
});
const addParticipantsBody = z.object({ participants: z.array(participant) });
const sendMessageBody = z.object({
  content: z.string(),
  senderDisplayName: z.string().optional(),
  type: z.string().optional(),
  metadata: metadata.optional(),
});
const updateMessageBody = z.object({ content: z.string().optional(), metadata: metadataPatch.optional() });
const readReceiptBody = z.object({ chatMessageId: z.string().min(1).max(32) });
const typingBody = z.object({ senderDisplayName: z.string().max(256).optional() }).optional();

function callerOf(ctx: HandlerContext<unknown>): string {
  const p = ctx.principal;
  if (p?.kind !== "user") throw new AcsError("Forbidden");
  return p.identity;
}

/** A chat operation: user-token authentication with `userScopes`; the handler gets the caller's identity. */
function chatRoute<B>(
  spec: Omit<RouteSpec<B>, "auth" | "handle"> & {
    userScopes: readonly UserScope[];
    handle(ctx: HandlerContext<B>, caller: string): Promise<Reply> | Reply;
  },
): RouteSpec<unknown> {
  const { handle, ...rest } = spec;
  return defineRoute<B>({ ...rest, auth: "user", handle: (ctx) => handle(ctx, callerOf(ctx)) });
}

function threadIdOf(ctx: HandlerContext<unknown>): string {
  const threadId = checkThreadId(ctx.params.threadId!);
  ctx.annotate({ threadId });
  return threadId;
}

function toParticipantInputs(list: ParticipantBody[]): ParticipantInput[] {
  if (list.length > MAX_PARTICIPANTS) throw new AcsError("TooManyParticipants");
  return list.map((p, i) => {
    const rawId = rawIdFromModel(p.communicationIdentifier);
    if (rawId === undefined) throw new AcsError("InvalidIdentifier", undefined, { target: `participants[${i}].communicationIdentifier` });
    let shareHistoryTime: number | undefined;
    if (p.shareHistoryTime !== undefined) {
      shareHistoryTime = Date.parse(p.shareHistoryTime);
      if (Number.isNaN(shareHistoryTime)) {
        throw new AcsError("InvalidRequestBody", "shareHistoryTime is not a date-time.", { target: `participants[${i}].shareHistoryTime` });
      }
    }
    return { rawId, displayName: p.displayName, shareHistoryTime, metadata: p.metadata };
  });
}

function repeatabilityIdOf(ctx: HandlerContext<unknown>): string | undefined {
  const raw = ctx.headers["repeatability-request-id"];
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.length === 0 || value.length > MAX_REPEATABILITY_ID_LENGTH || !/^[\x21-\x7e]+$/.test(value)) {
    throw new AcsError("InvalidRepeatabilityRequestId");
  }
  return value;
}

function messageType(type: string | undefined): "text" | "html" {
  const t = (type ?? "text").toLowerCase();
  if (t !== "text" && t !== "html") throw new AcsError("InvalidMessageType");
  return t;
}

const threadPath = (threadId: string) => `/chat/threads/${encodeURIComponent(threadId)}`;

/**
 * The Chat API (Chat-2025-03-15.json; docs/wire-reference.md §4), authorized by user access tokens. (One entry per operation
 * of the spec, sixteen in all, which is why this file is long.) Served for every
 * api-version (older SDK releases send 2021-03-07, 2021-09-07, 2024-03-07) with the newest schema.
 */
export function chatRoutes(chat: ChatService): RouteSpec[] {
  return [
    chatRoute({
      operation: "chat.createThread",
      method: "POST",
      url: "/chat/threads",
      userScopes: MANAGE_THREADS,
      body: createThreadBody,
      async handle(ctx, caller) {
        ctx.setSubject(caller);
        const participants = toParticipantInputs(ctx.body.participants ?? []);
        const { thread, invalid } = await chat.createThread(ctx.resource, caller, {
          topic: ctx.body.topic,
          participants,
          metadata: ctx.body.metadata,
          retentionPolicy: ctx.body.retentionPolicy,
          repeatabilityId: repeatabilityIdOf(ctx),
        });
        ctx.annotate({ threadId: thread.id });
        // Everyone who joined the thread at creation is a subject of this operation (their activity shows it).
        const refused = new Set(invalid.map((p) => p.rawId));
        const joined = participants.map((p) => p.rawId).filter((id) => id !== caller && !refused.has(id));
        ctx.setSubject([caller, ...new Set(joined)]);
        const body: Record<string, unknown> = { chatThread: toThreadModel(thread) };
        if (invalid.length > 0) body.invalidParticipants = invalidParticipantsModel(invalid);
        // ACS's recorded 201 names the new thread in Location (the colon encoded, the @ not).
        const location = `${ctx.baseUrl}/chat/threads/${encodeURIComponent(thread.id).replace(/%40/g, "@")}`;
        return { status: 201, body, headers: { location } };
      },
    }),
    chatRoute({
      operation: "chat.listThreads",
      method: "GET",
      url: "/chat/threads",
      userScopes: ANY_CHAT,
      async handle(ctx, caller) {
        ctx.setSubject(caller);
        const limit = pageSizeOf(ctx.query);
        const startTime = startTimeOf(ctx.query);
        const after = decodeThreadCursor(firstQuery(ctx.query, "syncState"));
        const { threads, more } = await chat.listThreads(ctx.resource, caller, {
          limit,
          ...(after !== undefined ? { after } : {}),
          ...(startTime !== undefined ? { activeSince: startTime } : {}),
        });
        const body: Record<string, unknown> = { value: threads.map(toThreadItemModel) };
        const last = threads.at(-1);
        if (more && last !== undefined) {
          body.nextLink = pageLink(ctx, "/chat/threads", {
            syncState: encodeThreadCursor(last.createdAt, last.id),
            maxPageSize: limit,
            startTime: firstQuery(ctx.query, "startTime"),
          });
        }
        return { status: 200, body };
      },
    }),
    chatRoute({
      operation: "chat.getThread",
      method: "GET",
      url: "/chat/threads/:threadId",
      userScopes: ANY_CHAT,
      async handle(ctx, caller) {
        ctx.setSubject(caller);
        const thread = await chat.getThread(ctx.resource, caller, threadIdOf(ctx));
        return { status: 200, body: toThreadModel(thread) };
      },
    }),
    chatRoute({
      operation: "chat.updateThread",
      method: "PATCH",
      url: "/chat/threads/:threadId",
      userScopes: MANAGE_THREADS,
      body: updateThreadBody,
      async handle(ctx, caller) {
        ctx.setSubject(caller);
        await chat.updateThread(ctx.resource, caller, threadIdOf(ctx), {
          topic: ctx.body.topic,
          metadata: ctx.body.metadata,
          retentionPolicy: ctx.body.retentionPolicy,
        });
        return { status: 204 };
      },
    }),
    chatRoute({
      operation: "chat.deleteThread",
      method: "DELETE",
      url: "/chat/threads/:threadId",
      userScopes: MANAGE_THREADS,
      async handle(ctx, caller) {
        ctx.setSubject(caller);
        await chat.deleteThread(ctx.resource, caller, threadIdOf(ctx));
        return { status: 204 };
      },
    }),
    chatRoute({
      operation: "chat.addParticipants",
      method: "POST",
      url: "/chat/threads/:threadId/participants/::add",
      userScopes: MANAGE_PARTICIPANTS,
      body: addParticipantsBody,
      async handle(ctx, caller) {
        const threadId = threadIdOf(ctx);
        const participants = toParticipantInputs(ctx.body.participants);
        ctx.setSubject(participants.map((p) => p.rawId));
        const invalid = await chat.addParticipants(ctx.resource, caller, threadId, participants);
        return { status: 201, body: invalid.length > 0 ? { invalidParticipants: invalidParticipantsModel(invalid) } : {} };
      },
    }),
    chatRoute({
      operation: "chat.removeParticipant",
      method: "POST",
      url: "/chat/threads/:threadId/participants/::remove",
      userScopes: MANAGE_PARTICIPANTS,
      body: z.unknown(),
      async handle(ctx, caller) {
        const threadId = threadIdOf(ctx);
        const rawId = rawIdFromModel(ctx.body);
        if (rawId === undefined) throw new AcsError("InvalidIdentifier", undefined, { target: "body" });
        ctx.setSubject(rawId);
        await chat.removeParticipant(ctx.resource, caller, threadId, rawId);
        return { status: 204 };
      },
    }),
    chatRoute({
      operation: "chat.listParticipants",
      method: "GET",
      url: "/chat/threads/:threadId/participants",
      userScopes: ANY_CHAT,
      async handle(ctx, caller) {
        ctx.setSubject(caller);
        const threadId = threadIdOf(ctx);
        const limit = pageSizeOf(ctx.query);
        const skip = skipOf(ctx.query);
        const { participants, more } = await chat.listParticipants(ctx.resource, caller, threadId, { skip, limit });
        const body: Record<string, unknown> = { value: participants.map(toParticipantModel) };
        if (more) body.nextLink = pageLink(ctx, `${threadPath(threadId)}/participants`, { skip: skip + limit, maxPageSize: limit });
        return { status: 200, body };
      },
    }),
    chatRoute({
      operation: "chat.sendMessage",
      method: "POST",
      url: "/chat/threads/:threadId/messages",
      userScopes: ANY_CHAT,
      body: sendMessageBody,
      async handle(ctx, caller) {
        ctx.setSubject(caller);
        const threadId = threadIdOf(ctx);
        const id = await chat.sendMessage(ctx.resource, caller, threadId, {
          content: ctx.body.content,
          type: messageType(ctx.body.type),
          senderDisplayName: ctx.body.senderDisplayName,
          metadata: ctx.body.metadata,
        });
        ctx.annotate({ messageId: id });
        return { status: 201, body: { id } };
      },
    }),
    chatRoute({
      operation: "chat.listMessages",
      method: "GET",
      url: "/chat/threads/:threadId/messages",
      userScopes: ANY_CHAT,
      async handle(ctx, caller) {
        ctx.setSubject(caller);
        const threadId = threadIdOf(ctx);
        const limit = pageSizeOf(ctx.query);
        const startTime = startTimeOf(ctx.query);
        const beforeId = decodeMessageCursor(firstQuery(ctx.query, "syncState"));
        const { messages, more } = await chat.listMessages(ctx.resource, caller, threadId, {
          limit,
          ...(beforeId !== undefined ? { beforeId } : {}),
          ...(startTime !== undefined ? { startTime } : {}),
        });
        const body: Record<string, unknown> = { value: messages.map(toMessageModel) };
        const last = messages.at(-1);
        if (more && last !== undefined) {
          body.nextLink = pageLink(ctx, `${threadPath(threadId)}/messages`, {
            syncState: last.id,
            maxPageSize: limit,
            startTime: firstQuery(ctx.query, "startTime"),
          });
        }
        return { status: 200, body };
      },
    }),
    chatRoute({
      operation: "chat.getMessage",
      method: "GET",
      url: "/chat/threads/:threadId/messages/:messageId",
      userScopes: ANY_CHAT,
      async handle(ctx, caller) {
        ctx.setSubject(caller);
        const threadId = threadIdOf(ctx);
        ctx.annotate({ messageId: ctx.params.messageId! });
        const message = await chat.getMessage(ctx.resource, caller, threadId, ctx.params.messageId!);
        return { status: 200, body: toMessageModel(message) };
      },
    }),
    chatRoute({
      operation: "chat.updateMessage",
      method: "PATCH",
      url: "/chat/threads/:threadId/messages/:messageId",
      userScopes: ANY_CHAT,
      body: updateMessageBody,
      async handle(ctx, caller) {
        ctx.setSubject(caller);
        const threadId = threadIdOf(ctx);
        ctx.annotate({ messageId: ctx.params.messageId! });
        await chat.updateMessage(ctx.resource, caller, threadId, ctx.params.messageId!, {
          content: ctx.body.content,
          metadata: ctx.body.metadata,
        });
        return { status: 204 };
      },
    }),
    chatRoute({
      operation: "chat.deleteMessage",
      method: "DELETE",
      url: "/chat/threads/:threadId/messages/:messageId",
      userScopes: ANY_CHAT,
      async handle(ctx, caller) {
        ctx.setSubject(caller);
        const threadId = threadIdOf(ctx);
        ctx.annotate({ messageId: ctx.params.messageId! });
        await chat.deleteMessage(ctx.resource, caller, threadId, ctx.params.messageId!);
        return { status: 204 };
      },
    }),
    chatRoute({
      operation: "chat.sendReadReceipt",
      method: "POST",
      url: "/chat/threads/:threadId/readReceipts",
      userScopes: ANY_CHAT,
      body: readReceiptBody,
      async handle(ctx, caller) {
        ctx.setSubject(caller);
        const threadId = threadIdOf(ctx);
        ctx.annotate({ messageId: ctx.body.chatMessageId });
        await chat.sendReadReceipt(ctx.resource, caller, threadId, ctx.body.chatMessageId);
        return { status: 200 };
      },
    }),
    chatRoute({
      operation: "chat.listReadReceipts",
      method: "GET",
      url: "/chat/threads/:threadId/readReceipts",
      userScopes: ANY_CHAT,
      async handle(ctx, caller) {
        ctx.setSubject(caller);
        const threadId = threadIdOf(ctx);
        const limit = pageSizeOf(ctx.query);
        const skip = skipOf(ctx.query);
        const { receipts, more } = await chat.listReadReceipts(ctx.resource, caller, threadId, { skip, limit });
        const body: Record<string, unknown> = {
          value: receipts.map((r) => ({
            senderCommunicationIdentifier: identifierFromRawId(r.rawId),
            chatMessageId: r.messageId,
            readOn: new Date(r.readOn).toISOString(),
          })),
        };
        if (more) body.nextLink = pageLink(ctx, `${threadPath(threadId)}/readReceipts`, { skip: skip + limit, maxPageSize: limit });
        return { status: 200, body };
      },
    }),
    chatRoute({
      operation: "chat.sendTypingNotification",
      method: "POST",
      url: "/chat/threads/:threadId/typing",
      userScopes: ANY_CHAT,
      body: typingBody,
      async handle(ctx, caller) {
        ctx.setSubject(caller);
        await chat.sendTyping(ctx.resource, caller, threadIdOf(ctx), ctx.body?.senderDisplayName);
        return { status: 200 };
      },
    }),
  ];
}
