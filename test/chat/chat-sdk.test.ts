import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ChatMessage } from "@azure/communication-chat";
import { backendNames } from "../support/backends.js";
import { API, collect, enc, startChatFixture, type ChatFixture } from "./chat-fixture.js";

describe.each(backendNames)("Chat through @azure/communication-chat (%s)", (backend) => {
  let fx: ChatFixture;
  beforeAll(async () => {
    fx = await startChatFixture({ backend });
  });
  afterAll(async () => {
    await fx.srv.close();
  });

  it("creates a thread with participants; the creator is a participant; properties and thread list", async () => {
    const alice = await fx.newUser();
    const bob = await fx.newUser();
    const created = await alice.chat.createChatThread(
      { topic: "Launch" },
      { participants: [{ id: bob.user, displayName: "Bob" }], metadata: { team: "blue" } },
    );
    expect(created.invalidParticipants).toBeUndefined();
    const thread = created.chatThread!;
    expect(thread.id).toMatch(/^19:[0-9a-f]{32}@thread\.v2$/);
    expect(thread.topic).toBe("Launch");
    expect(thread.createdBy).toEqual({ kind: "communicationUser", communicationUserId: alice.id });
    expect(Math.abs(thread.createdOn.getTime() - Date.now())).toBeLessThan(60_000);

    const props = await bob.chat.getChatThreadClient(thread.id).getProperties();
    expect(props).toMatchObject({ id: thread.id, topic: "Launch", metadata: { team: "blue" } });
    expect(props.createdBy).toEqual({ kind: "communicationUser", communicationUserId: alice.id });

    const participants = await collect(alice.chat.getChatThreadClient(thread.id).listParticipants());
    expect(participants).toHaveLength(2);
    expect(participants).toEqual(
      expect.arrayContaining([
        { id: { kind: "communicationUser", communicationUserId: alice.id } },
        { id: { kind: "communicationUser", communicationUserId: bob.id }, displayName: "Bob" },
      ]),
    );

    const bobsThreads = await collect(bob.chat.listChatThreads());
    expect(bobsThreads.map((t) => t.id)).toEqual([thread.id]);
    expect(bobsThreads[0]!.topic).toBe("Launch");
  });

  it("sends, gets, lists, updates and deletes messages with versions, metadata and sender", async () => {
    const alice = await fx.newUser();
    const bob = await fx.newUser();
    const { chatThread } = await alice.chat.createChatThread({ topic: "Msgs" }, { participants: [{ id: bob.user }] });
    const aliceThread = alice.chat.getChatThreadClient(chatThread!.id);
    const bobThread = bob.chat.getChatThreadClient(chatThread!.id);

    const sent = await aliceThread.sendMessage({ content: "hello ☃" }, { senderDisplayName: "Alice", type: "text", metadata: { k: "v" } });
    expect(sent.id).toMatch(/^[0-9]+$/);
    const html = await bobThread.sendMessage({ content: "<b>hi</b>" }, { type: "html" });

    const got = await bobThread.getMessage(sent.id);
    expect(got).toMatchObject({ id: sent.id, type: "text", senderDisplayName: "Alice", metadata: { k: "v" }, version: sent.id });
    expect(got.content?.message).toBe("hello ☃");
    expect(got.sender).toEqual({ kind: "communicationUser", communicationUserId: alice.id });
    expect(got.sequenceId).toBe("2"); // 1 is the participantAdded of the creation

    const listed = await collect(aliceThread.listMessages());
    expect(listed.map((m) => m.id)).toEqual([html.id, sent.id, listed[2]!.id]);
    expect(listed.map((m) => m.type)).toEqual(["html", "text", "participantAdded"]);
    expect(listed.map((m) => m.sequenceId)).toEqual(["3", "2", "1"]);

    await aliceThread.updateMessage(sent.id, { content: "hello, edited", metadata: { k: "v2" } });
    const edited = await bobThread.getMessage(sent.id);
    expect(edited.content?.message).toBe("hello, edited");
    expect(edited.metadata).toEqual({ k: "v2" });
    expect(edited.editedOn).toBeInstanceOf(Date);
    expect(BigInt(edited.version)).toBeGreaterThan(BigInt(got.version));

    await expect(bobThread.updateMessage(sent.id, { content: "not mine" })).rejects.toMatchObject({ statusCode: 403, code: "NotMessageSender" });
    await expect(bobThread.deleteMessage(sent.id)).rejects.toMatchObject({ statusCode: 403, code: "NotMessageSender" });

    await aliceThread.deleteMessage(sent.id);
    await aliceThread.deleteMessage(sent.id); // idempotent
    const deleted = await bobThread.getMessage(sent.id);
    expect(deleted.deletedOn).toBeInstanceOf(Date);
    expect(deleted.content?.message).toBeUndefined();
    await expect(aliceThread.updateMessage(sent.id, { content: "again" })).rejects.toMatchObject({ statusCode: 404, code: "MessageNotFound" });
    const afterDelete = await collect(bobThread.listMessages());
    expect(afterDelete.find((m) => m.id === sent.id)?.deletedOn).toBeInstanceOf(Date);
  });

  it("adds and removes participants with display name and history share time; system messages carry sequence ids", async () => {
    const alice = await fx.newUser();
    const bob = await fx.newUser();
    const carol = await fx.newUser();
    const { chatThread } = await alice.chat.createChatThread({ topic: "Old topic" });
    const thread = alice.chat.getChatThreadClient(chatThread!.id);
    await thread.sendMessage({ content: "before carol" });
    const shareFrom = new Date(Date.now() + 1000);
    const added = await thread.addParticipants({
      participants: [
        { id: bob.user, displayName: "Bob" },
        { id: carol.user, displayName: "Carol", shareHistoryTime: shareFrom },
      ],
    });
    expect(added.invalidParticipants).toBeUndefined();
    const carolsView = await collect(carol.chat.getChatThreadClient(chatThread!.id).listMessages());
    expect(carolsView).toEqual([]); // history before shareHistoryTime is hidden from her
    const listedCarol = (await collect(thread.listParticipants())).find((p) => (p.id as { communicationUserId: string }).communicationUserId === carol.id);
    expect(listedCarol?.shareHistoryTime?.getTime()).toBe(shareFrom.getTime());

    await thread.updateTopic("New topic");
    expect((await thread.getProperties()).topic).toBe("New topic");
    await thread.removeParticipant(bob.user);
    await expect(bob.chat.getChatThreadClient(chatThread!.id).getProperties()).rejects.toMatchObject({ statusCode: 404, code: "ThreadNotFound" });
    // Removing someone who is no longer a participant succeeds, as in ACS, and adds no system message.
    await expect(thread.removeParticipant(bob.user)).resolves.toBeUndefined();

    const messages = await collect(thread.listMessages());
    expect(messages.map((m) => [m.type, m.sequenceId])).toEqual([
      ["participantRemoved", "5"],
      ["topicUpdated", "4"],
      ["participantAdded", "3"],
      ["text", "2"],
      ["participantAdded", "1"],
    ]);
    const [removed, topic, addedMsg] = messages as [ChatMessage, ChatMessage, ChatMessage];
    expect(removed.content?.participants?.map((p) => p.id)).toEqual([{ kind: "communicationUser", communicationUserId: bob.id }]);
    expect(removed.content?.initiator).toEqual({ kind: "communicationUser", communicationUserId: alice.id });
    expect(topic.content?.topic).toBe("New topic");
    expect(addedMsg.content?.participants?.map((p) => p.displayName)).toEqual(["Bob", "Carol"]);
    expect(removed.sender).toBeUndefined();
    for (const m of messages) expect(m.version).toBe(m.id);
  });

  it("sends and lists read receipts, accepts typing notifications", async () => {
    const alice = await fx.newUser();
    const bob = await fx.newUser();
    const { chatThread } = await alice.chat.createChatThread({ topic: "Receipts" }, { participants: [{ id: bob.user }] });
    const aliceThread = alice.chat.getChatThreadClient(chatThread!.id);
    const bobThread = bob.chat.getChatThreadClient(chatThread!.id);
    const m1 = await aliceThread.sendMessage({ content: "one" });
    const m2 = await aliceThread.sendMessage({ content: "two" });
    await bobThread.sendReadReceipt({ chatMessageId: m2.id });
    await bobThread.sendReadReceipt({ chatMessageId: m1.id }); // older: the newest receipt stays
    await aliceThread.sendReadReceipt({ chatMessageId: m1.id });
    const receipts = await collect(aliceThread.listReadReceipts());
    const byUser = new Map(receipts.map((r) => [(r.sender as { communicationUserId: string }).communicationUserId, r]));
    expect(byUser.size).toBe(2);
    expect(byUser.get(bob.id)?.chatMessageId).toBe(m2.id);
    expect(byUser.get(alice.id)?.chatMessageId).toBe(m1.id);
    expect(byUser.get(bob.id)?.readOn).toBeInstanceOf(Date);
    await expect(bobThread.sendReadReceipt({ chatMessageId: "1" })).rejects.toMatchObject({ statusCode: 404, code: "MessageNotFound" });
    expect(await bobThread.sendTypingNotification({ senderDisplayName: "Bob" })).toBe(true);
  });

  it("deletes a thread: gone for every participant and from their lists", async () => {
    const alice = await fx.newUser();
    const bob = await fx.newUser();
    const { chatThread } = await alice.chat.createChatThread({ topic: "Doomed" }, { participants: [{ id: bob.user }] });
    await alice.chat.deleteChatThread(chatThread!.id);
    await expect(bob.chat.getChatThreadClient(chatThread!.id).getProperties()).rejects.toMatchObject({ statusCode: 404, code: "ThreadNotFound" });
    await expect(bob.chat.getChatThreadClient(chatThread!.id).sendMessage({ content: "x" })).rejects.toMatchObject({ statusCode: 404 });
    expect(await collect(bob.chat.listChatThreads())).toEqual([]);
  });

  it("pages messages newest first through nextLink (with api-version), honouring maxPageSize and startTime", async () => {
    const alice = await fx.newUser();
    const { chatThread } = await alice.chat.createChatThread({ topic: "Paging" });
    const thread = alice.chat.getChatThreadClient(chatThread!.id);
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) ids.push((await thread.sendMessage({ content: `m${i}` })).id);

    const pages: number[] = [];
    const seen: string[] = [];
    for await (const page of thread.listMessages({ maxPageSize: 10 }).byPage()) {
      pages.push(page.length);
      seen.push(...page.map((m) => m.id));
    }
    expect(pages).toEqual([10, 10, 4]);
    expect(seen.slice(0, 23)).toEqual([...ids].reverse());
    expect(new Set(seen).size).toBe(24);

    const first = await fx.call(alice.token, "GET", `/chat/threads/${enc(chatThread!.id)}/messages?maxPageSize=5&${API}`);
    expect(first.status).toBe(200);
    const next = new URL(first.body.nextLink);
    expect(next.origin).toBe(fx.srv.httpsUrl);
    expect(next.searchParams.get("api-version")).toBe("2025-03-15");
    expect(next.searchParams.get("maxPageSize")).toBe("5");
    const second = await fx.call(alice.token, "GET", first.body.nextLink);
    expect(second.body.value.map((m: { id: string }) => m.id)).toEqual([...ids].reverse().slice(5, 10));

    const all = await collect(thread.listMessages());
    const cutoff = all.find((m) => m.id === ids[20])!.createdOn;
    const recent = await collect(thread.listMessages({ startTime: cutoff }));
    expect(recent.every((m) => m.createdOn.getTime() >= cutoff.getTime())).toBe(true);
    expect(recent.map((m) => m.id)).toContain(ids[22]);
    expect(recent.map((m) => m.id)).not.toContain(ids[0]);
  });

  it("pages threads, participants and read receipts", async () => {
    const alice = await fx.newUser();
    const others = await Promise.all([1, 2, 3, 4].map(() => fx.newUser()));
    const threadIds: string[] = [];
    for (let i = 0; i < 5; i++) threadIds.push((await alice.chat.createChatThread({ topic: `t${i}` })).chatThread!.id);
    const threadPages: number[] = [];
    const listedThreads: string[] = [];
    for await (const page of alice.chat.listChatThreads({ maxPageSize: 2 }).byPage()) {
      threadPages.push(page.length);
      listedThreads.push(...page.map((t) => t.id));
    }
    expect(threadPages).toEqual([2, 2, 1]);
    expect([...listedThreads].sort()).toEqual([...threadIds].sort());

    const thread = alice.chat.getChatThreadClient(threadIds[0]!);
    await thread.addParticipants({ participants: others.map((o) => ({ id: o.user })) });
    const participantPages: number[] = [];
    for await (const page of thread.listParticipants({ maxPageSize: 2 }).byPage()) participantPages.push(page.length);
    expect(participantPages).toEqual([2, 2, 1]);

    const m = await thread.sendMessage({ content: "read me" });
    for (const o of others) await o.chat.getChatThreadClient(threadIds[0]!).sendReadReceipt({ chatMessageId: m.id });
    const receiptPages: number[] = [];
    for await (const page of thread.listReadReceipts({ maxPageSize: 3 }).byPage()) receiptPages.push(page.length);
    expect(receiptPages).toEqual([3, 1]);
    const raw = await fx.call(alice.token, "GET", `/chat/threads/${enc(threadIds[0]!)}/participants?maxPageSize=2&${API}`);
    expect(new URL(raw.body.nextLink).searchParams.get("api-version")).toBe("2025-03-15");
    expect(new URL(raw.body.nextLink).searchParams.get("skip")).toBe("2");
  });

  it("lists threads with lastMessageReceivedOn and filters them by startTime; re-adding a participant updates it", async () => {
    const alice = await fx.newUser();
    const bob = await fx.newUser();
    const quiet = (await alice.chat.createChatThread({ topic: "quiet" })).chatThread!;
    const busy = (await alice.chat.createChatThread({ topic: "busy" }, { participants: [{ id: bob.user, displayName: "Bob" }] })).chatThread!;
    await new Promise((r) => setTimeout(r, 20));
    const cutoff = new Date();
    await alice.chat.getChatThreadClient(busy.id).sendMessage({ content: "news" });
    const all = await collect(alice.chat.listChatThreads());
    expect(all.map((t) => t.id)).toEqual([busy.id, quiet.id]);
    expect(all[0]!.lastMessageReceivedOn!.getTime()).toBeGreaterThanOrEqual(cutoff.getTime());
    expect(all[1]!.lastMessageReceivedOn).toBeUndefined();
    expect((await collect(alice.chat.listChatThreads({ startTime: cutoff }))).map((t) => t.id)).toEqual([busy.id]);

    const thread = alice.chat.getChatThreadClient(busy.id);
    await thread.addParticipants({ participants: [{ id: bob.user, displayName: "Robert" }] });
    const participants = await collect(thread.listParticipants());
    expect(participants).toHaveLength(2);
    expect(participants.find((p) => (p.id as { communicationUserId: string }).communicationUserId === bob.id)?.displayName).toBe("Robert");
    // No second participantAdded for someone already in the thread.
    expect((await collect(thread.listMessages())).filter((m) => m.type === "participantAdded")).toHaveLength(1);
  });

  it("answers every api-version the chat SDK releases send", async () => {
    const alice = await fx.newUser();
    const { chatThread } = await alice.chat.createChatThread({ topic: "Versions" });
    for (const version of ["2021-03-07", "2021-09-07", "2023-11-07", "2024-03-07", "2025-03-15"]) {
      const res = await fx.call(alice.token, "GET", `/chat/threads/${enc(chatThread!.id)}?api-version=${version}`);
      expect(res.status, version).toBe(200);
      expect(res.body.id).toBe(chatThread!.id);
    }
    const missing = await fx.call(alice.token, "GET", `/chat/threads/${enc(chatThread!.id)}`);
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe("MissingApiVersion");
  });

  it("logs thread and message ids and the caller, never the token", async () => {
    const alice = await fx.newUser();
    const { chatThread } = await alice.chat.createChatThread({ topic: "Logged" });
    const { id } = await alice.chat.getChatThreadClient(chatThread!.id).sendMessage({ content: "secret body text" });
    // The request line is written once the response has gone out.
    const line = await vi.waitFor(() => {
      const found = fx.srv
        .readLog()
        .split("\n")
        .filter((l) => l.includes('"op":"chat.sendMessage"'))
        .map((l) => JSON.parse(l))
        .find((l) => l.fields?.messageId === id);
      if (found === undefined) throw new Error("not logged yet");
      return found;
    });
    expect(line).toMatchObject({ status: 201, principal: alice.id, subjects: [alice.id], fields: { threadId: chatThread!.id, messageId: id } });
    const log = fx.srv.readLog();
    expect(log).not.toContain(alice.token);
    expect(log).not.toContain(alice.token.split(".")[2]);
    expect(log).not.toContain("secret body text");
  });
});
