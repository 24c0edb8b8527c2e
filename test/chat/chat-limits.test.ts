import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_MESSAGE_CONTENT_BYTES, MAX_PARTICIPANTS } from "../../src/chat/chat-limits.js";
import { newIdentityId } from "../../src/identity/identity-id.js";
import { backendNames } from "../support/backends.js";
import { API, collect, startChatFixture, type ChatFixture } from "./chat-fixture.js";

describe.each(backendNames)("Chat limits and idempotency (%s)", (backend) => {
  let fx: ChatFixture;
  beforeAll(async () => {
    fx = await startChatFixture({ backend });
  });
  afterAll(async () => {
    await fx.srv.close();
  });

  it("50 concurrent creates with one repeatability id make exactly one thread", async () => {
    const alice = await fx.newUser();
    const bob = await fx.newUser();
    const idempotencyToken = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        alice.chat.createChatThread({ topic: "once" }, { participants: [{ id: bob.user, displayName: "Bob" }], idempotencyToken }),
      ),
    );
    const ids = new Set(results.map((r) => r.chatThread!.id));
    expect(ids.size).toBe(1);
    const [threadId] = [...ids] as [string];
    expect(await collect(alice.chat.listChatThreads())).toEqual([expect.objectContaining({ id: threadId, topic: "once" })]);
    const db = fx.srv.server.core.store.db;
    const rows = await db.selectFrom("chat_threads").select("id").where("created_by", "=", alice.id).execute();
    expect(rows.map((r) => r.id)).toEqual([threadId]);
    expect(await collect(alice.chat.getChatThreadClient(threadId).listParticipants())).toHaveLength(2);
    expect((await collect(alice.chat.getChatThreadClient(threadId).listMessages())).map((m) => m.type)).toEqual(["participantAdded"]);

    // A later retry still finds it; another id or another caller makes a new thread.
    const again = await alice.chat.createChatThread({ topic: "once" }, { idempotencyToken });
    expect(again.chatThread!.id).toBe(threadId);
    const other = await alice.chat.createChatThread({ topic: "twice" }, { idempotencyToken: randomUUID() });
    expect(other.chatThread!.id).not.toBe(threadId);
    const bobs = await bob.chat.createChatThread({ topic: "bob's" }, { idempotencyToken });
    expect(bobs.chatThread!.id).not.toBe(threadId);
  });

  it("message content is limited to 28 KB (400 MessageTooLarge), on send and on update", async () => {
    const alice = await fx.newUser();
    const { chatThread } = await alice.chat.createChatThread({ topic: "size" });
    const thread = alice.chat.getChatThreadClient(chatThread!.id);
    const atLimit = await thread.sendMessage({ content: "a".repeat(MAX_MESSAGE_CONTENT_BYTES) });
    expect((await thread.getMessage(atLimit.id)).content?.message).toHaveLength(MAX_MESSAGE_CONTENT_BYTES);
    await expect(thread.sendMessage({ content: "a".repeat(MAX_MESSAGE_CONTENT_BYTES + 1) })).rejects.toMatchObject({
      statusCode: 400,
      code: "MessageTooLarge",
    });
    // Bytes, not characters: 9,558 snowmen are 28,674 UTF-8 bytes.
    await expect(thread.sendMessage({ content: "☃".repeat(9_558) })).rejects.toMatchObject({ statusCode: 400, code: "MessageTooLarge" });
    await expect(thread.updateMessage(atLimit.id, { content: "b".repeat(MAX_MESSAGE_CONTENT_BYTES + 1) })).rejects.toMatchObject({
      statusCode: 400,
      code: "MessageTooLarge",
    });
    expect((await collect(thread.listMessages())).filter((m) => m.type === "text")).toHaveLength(1);
  });

  it("a thread has at most 250 participants (400 TooManyParticipants) on create and on add", async () => {
    const alice = await fx.newUser();
    const fake = Array.from({ length: MAX_PARTICIPANTS }, () => ({ id: { communicationUserId: newIdentityId(fx.srv.resource.id) } }));
    await expect(alice.chat.createChatThread({ topic: "crowd" }, { participants: fake })).rejects.toMatchObject({
      statusCode: 400,
      code: "TooManyParticipants",
    });

    // 249 real identities + the creator = 250: allowed; one more is refused and nothing is written.
    const core = fx.srv.server.core;
    const ids = Array.from({ length: MAX_PARTICIPANTS - 1 }, () => newIdentityId(fx.srv.resource.id));
    await core.store.write(async (trx) => {
      for (const id of ids) await core.identityRepository.insert(trx, id, fx.srv.resource.id, Date.now());
    });
    const full = await alice.chat.createChatThread({ topic: "full" }, { participants: ids.map((id) => ({ id: { communicationUserId: id } })) });
    expect(full.invalidParticipants).toBeUndefined();
    const thread = alice.chat.getChatThreadClient(full.chatThread!.id);
    expect(await collect(thread.listParticipants())).toHaveLength(MAX_PARTICIPANTS);
    const extra = await fx.newUser();
    await expect(thread.addParticipants({ participants: [{ id: extra.user }] })).rejects.toMatchObject({ statusCode: 400, code: "TooManyParticipants" });
    expect(await collect(thread.listParticipants())).toHaveLength(MAX_PARTICIPANTS);
    await expect(extra.chat.getChatThreadClient(full.chatThread!.id).getProperties()).rejects.toMatchObject({ statusCode: 404 });
  });

  it("metadata, topic and display name limits are 400s with their own codes", async () => {
    const alice = await fx.newUser();
    await expect(alice.chat.createChatThread({ topic: "m" }, { metadata: { k: "v".repeat(1024) } })).rejects.toMatchObject({
      statusCode: 400,
      code: "MetadataTooLarge",
    });
    await expect(alice.chat.createChatThread({ topic: "t".repeat(513) })).rejects.toMatchObject({ statusCode: 400, code: "TopicTooLong" });
    const { chatThread } = await alice.chat.createChatThread({ topic: "ok" }, { metadata: { a: "1", b: "2" } });
    const thread = alice.chat.getChatThreadClient(chatThread!.id);
    await expect(thread.updateProperties({ metadata: { big: "x".repeat(2000) } })).rejects.toMatchObject({ statusCode: 400, code: "MetadataTooLarge" });
    await expect(thread.sendMessage({ content: "x" }, { senderDisplayName: "n".repeat(257) })).rejects.toMatchObject({
      statusCode: 400,
      code: "DisplayNameTooLong",
    });
    await expect(thread.sendMessage({ content: "x" }, { metadata: { k: "v".repeat(9000) } })).rejects.toMatchObject({
      statusCode: 400,
      code: "MetadataTooLarge",
    });
    // merge-patch of thread metadata: keys are merged, unchanged ones kept.
    await thread.updateProperties({ metadata: { b: "3", c: "4" } });
    expect((await thread.getProperties()).metadata).toEqual({ a: "1", b: "3", c: "4" });
    // Retention policy is stored and returned.
    await thread.updateProperties({ retentionPolicy: { kind: "threadCreationDate", deleteThreadAfterDays: 30 } });
    expect((await thread.getProperties()).retentionPolicy).toEqual({ kind: "threadCreationDate", deleteThreadAfterDays: 30 });
  });

  it("page sizes above the maximum are capped, not refused", async () => {
    const alice = await fx.newUser();
    const res = await fx.call(alice.token, "GET", `/chat/threads?maxPageSize=100000&${API}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ value: [] });
  });
});
