import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listActivity, summarizeIdentity } from "../../src/cli/activity-command.js";
import { backendNames } from "../support/backends.js";
import { startChatFixture, type ChatFixture, type ChatUser } from "../chat/chat-fixture.js";

/** Chat operations through @azure/communication-chat land in each participant's activity record, and in the summary. */
describe.each(backendNames)("chat in the activity record (%s)", (backend) => {
  let fx: ChatFixture;
  let alice: ChatUser;
  let bob: ChatUser;
  let carol: ChatUser;
  let threadId: string;
  let aliceMessage: string;
  let bobMessage: string;

  beforeAll(async () => {
    fx = await startChatFixture({ backend });
    alice = await fx.newUser();
    bob = await fx.newUser();
    carol = await fx.newUser();
    const created = await alice.chat.createChatThread({ topic: "activity" }, { participants: [{ id: carol.user, displayName: "Carol" }] });
    threadId = created.chatThread!.id;
    const aliceThread = alice.chat.getChatThreadClient(threadId);
    await aliceThread.addParticipants({ participants: [{ id: bob.user, displayName: "Bob" }] });
    aliceMessage = (await aliceThread.sendMessage({ content: "secret body from alice" })).id;
    bobMessage = (await bob.chat.getChatThreadClient(threadId).sendMessage({ content: "secret body from bob" })).id;
    await fx.srv.server.core.activity.flush();
  });
  afterAll(async () => {
    await fx.srv.close();
  });

  it("files each operation under the identities it concerns, with thread and message ids but no message body", async () => {
    const aliceEvents = await listActivity(fx.srv.server.core, { identity: alice.id, operation: "chat.*" });
    expect(aliceEvents.map((e) => [e.operation, e.status, e.principal, e.fields])).toEqual([
      ["chat.sendMessage", 201, alice.id, { threadId, messageId: aliceMessage }],
      ["chat.addParticipants", 201, alice.id, { threadId }],
      ["chat.createThread", 201, alice.id, { threadId }],
    ]);
    const bobEvents = await listActivity(fx.srv.server.core, { identity: bob.id, operation: "chat.*" });
    expect(bobEvents.map((e) => [e.operation, e.principal, e.subjects])).toEqual([
      ["chat.sendMessage", bob.id, [bob.id]],
      ["chat.addParticipants", alice.id, [bob.id]],
    ]);
    expect(bobEvents[0]!.fields).toEqual({ threadId, messageId: bobMessage });
    expect(JSON.stringify([aliceEvents, bobEvents])).not.toContain("secret body");
    // Carol joined at creation: the creation is in her record, acted by Alice.
    const carolEvents = await listActivity(fx.srv.server.core, { identity: carol.id, operation: "chat.*" });
    expect(carolEvents.map((e) => [e.operation, e.principal, e.subjects, e.fields])).toEqual([
      ["chat.createThread", alice.id, [alice.id, carol.id], { threadId }],
    ]);
  });

  it("the summary counts threads joined and messages sent per identity", async () => {
    expect(await summarizeIdentity(fx.srv.server.core, alice.id)).toMatchObject({ tokensIssued: 1, threadsJoined: 1, messagesSent: 1 });
    expect(await summarizeIdentity(fx.srv.server.core, bob.id)).toMatchObject({ tokensIssued: 1, threadsJoined: 1, messagesSent: 1 });
    expect(await summarizeIdentity(fx.srv.server.core, carol.id)).toMatchObject({ threadsJoined: 1, messagesSent: 0 });
  });
});
