import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import WebSocket from "ws";
import { CallClient, type ChatEventPayload } from "../../src/calling/client/calling-client.js";
import type { BrowserGlobals } from "../../src/calling/client/browser-types.js";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { openSignaling, type Msg, type SignalingTestClient } from "../support/signaling-client.js";

const user = (id: string) => ({ kind: "communicationUser", communicationUserId: id });

describe.each(backendNames)("chat events over the signaling WebSocket (%s)", (backend) => {
  let srv: TestServer;
  let identity: CommunicationIdentityClient;
  const sockets: SignalingTestClient[] = [];
  const connect = async (token: string) => {
    const s = openSignaling(srv);
    sockets.push(s);
    await s.authenticate(token);
    return s;
  };
  const chatOf = (token: string) => new ChatClient(srv.httpsUrl, new AzureCommunicationTokenCredential(token), { retryOptions: { maxRetries: 0 } });
  const chatEvent = (s: SignalingTestClient, event: string, where: (m: Msg) => boolean = () => true) =>
    s.next("chatEvent", (m) => m.event === event && where(m));

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    identity = new CommunicationIdentityClient(srv.connectionString("https"));
  });
  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await srv.close();
  });

  it("pushes every chat event of a thread to its participants' chat-only sockets, and nothing to a non-participant", async () => {
    const alice = await identity.createUserAndToken(["chat"]);
    const bob = await identity.createUserAndToken(["chat"]);
    const carol = await identity.createUserAndToken(["chat"]);
    const dave = await identity.createUserAndToken(["chat"]);
    const bobSocket = await connect(bob.token);
    const carolSocket = await connect(carol.token);

    const { chatThread } = await chatOf(alice.token).createChatThread({ topic: "live" }, { participants: [{ id: bob.user, displayName: "Bob" }] });
    const threadId = chatThread!.id;
    const created = await chatEvent(bobSocket, "chatThreadCreated");
    expect(created.payload).toMatchObject({
      threadId,
      properties: { topic: "live", metadata: {} },
      createdBy: { id: user(alice.user.communicationUserId) },
      retentionPolicy: { kind: "none" },
      recipient: user(bob.user.communicationUserId),
    });
    expect(created.payload.participants.map((p: { id: { communicationUserId: string } }) => p.id.communicationUserId).sort()).toEqual(
      [alice.user.communicationUserId, bob.user.communicationUserId].sort(),
    );

    const aliceThread = chatOf(alice.token).getChatThreadClient(threadId);
    const { id: messageId } = await aliceThread.sendMessage({ content: "hello Bob" }, { senderDisplayName: "Alice", metadata: { k: "v" } });
    const received = await chatEvent(bobSocket, "chatMessageReceived");
    expect(received.payload).toMatchObject({
      threadId,
      id: messageId,
      message: "hello Bob",
      type: "Text",
      sender: user(alice.user.communicationUserId),
      senderDisplayName: "Alice",
      recipient: user(bob.user.communicationUserId),
      metadata: { k: "v" },
    });
    expect(new Date(received.payload.createdOn).getTime()).toBeGreaterThan(0);
    expect(typeof received.payload.version).toBe("string");

    await aliceThread.updateMessage(messageId, { content: "hello again" });
    expect((await chatEvent(bobSocket, "chatMessageEdited")).payload).toMatchObject({ id: messageId, message: "hello again", threadId });
    await aliceThread.sendTypingNotification({ senderDisplayName: "Alice" });
    expect((await chatEvent(bobSocket, "typingIndicatorReceived")).payload).toMatchObject({ threadId, sender: user(alice.user.communicationUserId), senderDisplayName: "Alice" });
    await aliceThread.sendReadReceipt({ chatMessageId: messageId });
    expect((await chatEvent(bobSocket, "readReceiptReceived")).payload).toMatchObject({ threadId, chatMessageId: messageId, sender: user(alice.user.communicationUserId) });
    await aliceThread.updateTopic("renamed");
    expect((await chatEvent(bobSocket, "chatThreadPropertiesUpdated")).payload).toMatchObject({
      threadId,
      properties: { topic: "renamed" },
      updatedBy: { id: user(alice.user.communicationUserId) },
    });
    await aliceThread.addParticipants({ participants: [{ id: dave.user, displayName: "Dave" }] });
    expect((await chatEvent(bobSocket, "participantsAdded")).payload).toMatchObject({
      threadId,
      participantsAdded: [{ id: user(dave.user.communicationUserId), displayName: "Dave" }],
      addedBy: { id: user(alice.user.communicationUserId) },
    });
    await aliceThread.removeParticipant(dave.user);
    expect((await chatEvent(bobSocket, "participantsRemoved")).payload).toMatchObject({
      threadId,
      participantsRemoved: [{ id: user(dave.user.communicationUserId) }],
    });
    await aliceThread.deleteMessage(messageId);
    expect((await chatEvent(bobSocket, "chatMessageDeleted")).payload).toMatchObject({ id: messageId, threadId });

    // Carol is connected, with a chat token, but in no thread: after all of this she has received nothing.
    await aliceThread.sendMessage({ content: "sentinel" });
    await chatEvent(bobSocket, "chatMessageReceived", (m) => m.payload.message === "sentinel");
    expect(carolSocket.messages.map((m) => m.type)).toEqual(["authenticated"]);
  });

  it("a chat-only socket may not call, and a voip-only socket gets no chat events", async () => {
    const alice = await identity.createUserAndToken(["chat"]);
    const bob = await identity.createUserAndToken(["chat", "voip"]);
    const bobVoipOnly = await identity.getToken(bob.user, ["voip"]);
    const chatOnly = await connect(alice.token);
    chatOnly.send({ type: "startCall", callees: [bob.user.communicationUserId], requestId: "c1" });
    expect(await chatOnly.next("error", (m) => m.requestId === "c1")).toMatchObject({ code: "InsufficientScope" });

    const voipSocket = await connect(bobVoipOnly.token);
    const both = await connect(bob.token);
    const { chatThread } = await chatOf(alice.token).createChatThread({ topic: "t" }, { participants: [{ id: bob.user }] });
    await chatOf(alice.token).getChatThreadClient(chatThread!.id).sendMessage({ content: "hi" });
    await chatEvent(both, "chatMessageReceived");
    expect(voipSocket.messages.filter((m) => m.type === "chatEvent")).toEqual([]);
  });

  it("the browser client exposes them as events: client.on(\"chatMessageReceived\", …)", async () => {
    const alice = await identity.createUserAndToken(["chat"]);
    const bob = await identity.createUserAndToken(["chat"]);
    const client = new CallClient({
      url: `${srv.httpsUrl.replace("https:", "wss:")}/calling/signaling`,
      globals: { WebSocket: WebSocket as unknown as BrowserGlobals["WebSocket"] },
    });
    await client.connect(bob.token);
    try {
      const received = new Promise<ChatEventPayload>((resolve) => client.on("chatMessageReceived", resolve));
      const { chatThread } = await chatOf(alice.token).createChatThread({ topic: "client" }, { participants: [{ id: bob.user }] });
      await chatOf(alice.token).getChatThreadClient(chatThread!.id).sendMessage({ content: "to the client" });
      const payload = await received;
      expect(payload).toMatchObject({ threadId: chatThread!.id, message: "to the client", recipient: user(bob.user.communicationUserId) });
      expect(payload.createdOn).toBeInstanceOf(Date);
    } finally {
      client.disconnect();
    }
  });
});
