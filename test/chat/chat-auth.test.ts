import { generateKeyPairSync } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { connectionString } from "../../src/resources/resource.js";
import { systemClock } from "../../src/util/clock.js";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import { API, collect, enc, startChatFixture, type ChatFixture } from "./chat-fixture.js";

/** Real time plus an offset the test can move (tokens expire on the server's clock, the SDK keeps its own). */
/** Real time plus an offset the test moves; its timers run in real time. */
function offsetClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, setTimeout: systemClock.setTimeout, advance: (ms: number) => (offset += ms), reset: () => (offset = 0) };
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"));
}

function headerOf(token: string): Record<string, string> {
  return JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8"));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(backendNames)("Chat authentication and authorization (%s)", (backend) => {
  let fx: ChatFixture;
  const clock = offsetClock();
  beforeAll(async () => {
    fx = await startChatFixture({ backend, clock });
  });
  afterAll(async () => {
    await fx.srv.close();
  });

  describe("user access tokens", () => {
    it("refuses an expired token with 401 TokenExpired", async () => {
      const { user, token } = await fx.identity.createUserAndToken(["chat"], { tokenExpiresInMinutes: 60 });
      const chat = fx.chatClient(token);
      await chat.createChatThread({ topic: "before expiry" });
      clock.advance(61 * 60_000);
      try {
        await expect(chat.createChatThread({ topic: "after expiry" })).rejects.toMatchObject({ statusCode: 401, code: "TokenExpired" });
      } finally {
        clock.reset();
      }
      expect(user.communicationUserId).toBe(claimsOf(token).sub);
    });

    it("revocation bites on the very next chat call; a new token works", async () => {
      const alice = await fx.newUser();
      const { chatThread } = await alice.chat.createChatThread({ topic: "revoke" });
      const thread = alice.chat.getChatThreadClient(chatThread!.id);
      await thread.sendMessage({ content: "warm the caches" });
      await fx.identity.revokeTokens(alice.user);
      const immediate = await fx.srv.server.app.inject({
        method: "GET",
        url: `/chat/threads/${enc(chatThread!.id)}?${API}`,
        headers: { authorization: `Bearer ${alice.token}`, host: new URL(fx.srv.httpsUrl).host },
      });
      expect(immediate.statusCode).toBe(401);
      expect(immediate.json().error.code).toBe("TokenRevoked");
      await expect(thread.sendMessage({ content: "after revoke" })).rejects.toMatchObject({ statusCode: 401, code: "TokenRevoked" });
      const fresh = await fx.identity.getToken(alice.user, ["chat"]);
      await fx.chatClient(fresh.token).getChatThreadClient(chatThread!.id).sendMessage({ content: "new token" });
    });

    it("a deleted identity's token is refused; its thread stays readable by the others, the user shown as deleted", async () => {
      const alice = await fx.newUser();
      const bob = await fx.newUser();
      const { chatThread } = await alice.chat.createChatThread({ topic: "deletion" }, { participants: [{ id: bob.user, displayName: "Bob" }] });
      const bobThread = bob.chat.getChatThreadClient(chatThread!.id);
      const { id } = await bobThread.sendMessage({ content: "bye" }, { senderDisplayName: "Bob" });
      await fx.identity.deleteUser(bob.user);
      await expect(bobThread.getProperties()).rejects.toMatchObject({ statusCode: 401, code: "IdentityDeleted" });

      const aliceThread = alice.chat.getChatThreadClient(chatThread!.id);
      const message = await aliceThread.getMessage(id);
      expect(message.content?.message).toBe("bye");
      expect(message.senderDisplayName).toBe("Deleted user");
      expect(message.sender).toEqual({ kind: "communicationUser", communicationUserId: bob.id });
      const participants = await collect(aliceThread.listParticipants());
      expect(participants.find((p) => (p.id as { communicationUserId: string }).communicationUserId === bob.id)?.displayName).toBe("Deleted user");
      const readded = await aliceThread.addParticipants({ participants: [{ id: bob.user }] });
      expect(readded.invalidParticipants?.map((e) => e.target)).toEqual([bob.id]);
    });

    it("a token issued through a regenerated access key is refused on the next call; the other key's tokens still work", async () => {
      const viaPrimary = await fx.newUser();
      const secondaryIdentity = new CommunicationIdentityClient(fx.srv.connectionString("https", "secondary"));
      const viaSecondary = await secondaryIdentity.createUserAndToken(["chat"]);
      await viaPrimary.chat.createChatThread({ topic: "before regeneration" });
      await fx.srv.server.core.resources.regenerateKey(fx.srv.resource.id, "primary");
      // In-process, with no network round trip to hide the registry reload: still refused.
      const immediate = await fx.srv.server.app.inject({
        method: "GET",
        url: `/chat/threads?${API}`,
        headers: { authorization: `Bearer ${viaPrimary.token}`, host: new URL(fx.srv.httpsUrl).host },
      });
      expect(immediate.statusCode).toBe(401);
      expect(immediate.json().error.code).toBe("AccessKeyRegenerated");
      await expect(viaPrimary.chat.createChatThread({ topic: "after" })).rejects.toMatchObject({ statusCode: 401, code: "AccessKeyRegenerated" });
      await fx.chatClient(viaSecondary.token).createChatThread({ topic: "secondary still fine" });
    });

    it("refuses forged tokens (foreign key, alg none, HS256, garbage), access-key signatures and missing credentials", async () => {
      const alice = await fx.newUser();
      const payload = claimsOf(alice.token);
      const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const foreign = await new SignJWT(payload).setProtectedHeader({ alg: "ES256", typ: "JWT", kid: headerOf(alice.token).kid! }).sign(privateKey);
      const hs256 = await new SignJWT(payload).setProtectedHeader({ alg: "HS256", kid: headerOf(alice.token).kid! }).sign(new Uint8Array(32));
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
      const none = `${b64({ alg: "none", typ: "JWT" })}.${b64(payload)}.`;
      for (const token of [foreign, hs256, none, "not-a-jwt"]) {
        const res = await fx.call(token, "GET", `/chat/threads?${API}`);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe("InvalidToken");
      }
      await expect(fx.chatClient(foreign).listChatThreads().next()).rejects.toMatchObject({ statusCode: 401, code: "InvalidToken" });
      // An access key is not a chat credential: chat acts for an end user.
      const keySigned = await signedFetch(`${fx.srv.httpUrl}/chat/threads?${API}`, { accessKey: fx.srv.currentResource().keys.primary.value });
      expect(keySigned.status).toBe(401);
      expect(keySigned.body.error.code).toBe("UnsupportedAuthorizationScheme");
      const bare = await fetch(`${fx.srv.httpsUrl}/chat/threads?${API}`);
      expect(bare.status).toBe(401);
      expect(((await bare.json()) as any).error.code).toBe("MissingAuthorization");
    });

    it("AzureCommunicationTokenCredential with tokenRefresher and refreshProactively keeps chat working past a short token's expiry", async () => {
      const { user } = await fx.identity.createUserAndToken(["chat"]);
      const issueShort = async () =>
        (
          await fx.srv.server.core.userTokens.issue({
            identity: user.communicationUserId,
            resourceId: fx.srv.resource.id,
            scopes: ["chat"],
            lifetimeMinutes: 4 / 60,
            generation: 0,
          })
        ).token;
      const first = await issueShort();
      const issued: string[] = [];
      const credential = new AzureCommunicationTokenCredential({
        token: first,
        refreshProactively: true,
        tokenRefresher: async () => {
          const t = await issueShort();
          issued.push(t);
          return t;
        },
      });
      try {
        const chat = new ChatClient(fx.srv.httpsUrl, credential, { retryOptions: { maxRetries: 0 } });
        const { chatThread } = await chat.createChatThread({ topic: "refresh" });
        await sleep(5_500); // the first token is now expired on the server
        await chat.getChatThreadClient(chatThread!.id).sendMessage({ content: "still here" });
        expect(issued.length).toBeGreaterThanOrEqual(1);
        await expect(fx.chatClient(first).listChatThreads().next()).rejects.toMatchObject({ statusCode: 401, code: "TokenExpired" });
      } finally {
        credential.dispose();
      }
    });
  });

  describe("scopes", () => {
    it("a voip-only token can do nothing in chat", async () => {
      const alice = await fx.newUser();
      const voip = await fx.newUser(["voip"]);
      const { chatThread } = await alice.chat.createChatThread({ topic: "scopes" }, { participants: [{ id: voip.user }] });
      await expect(voip.chat.createChatThread({ topic: "x" })).rejects.toMatchObject({ statusCode: 403, code: "InsufficientScope" });
      await expect(voip.chat.listChatThreads().next()).rejects.toMatchObject({ statusCode: 403, code: "InsufficientScope" });
      await expect(voip.chat.getChatThreadClient(chatThread!.id).sendMessage({ content: "x" })).rejects.toMatchObject({
        statusCode: 403,
        code: "InsufficientScope",
      });
    });

    it("chat.join may read, send and manage participants but not create, update or delete threads", async () => {
      const alice = await fx.newUser();
      const joiner = await fx.newUser(["chat.join"]);
      const carol = await fx.newUser();
      const { chatThread } = await alice.chat.createChatThread({ topic: "join" }, { participants: [{ id: joiner.user }] });
      const thread = joiner.chat.getChatThreadClient(chatThread!.id);
      await expect(joiner.chat.createChatThread({ topic: "x" })).rejects.toMatchObject({ statusCode: 403, code: "InsufficientScope" });
      await expect(thread.updateTopic("x")).rejects.toMatchObject({ statusCode: 403, code: "InsufficientScope" });
      await expect(joiner.chat.deleteChatThread(chatThread!.id)).rejects.toMatchObject({ statusCode: 403, code: "InsufficientScope" });
      const { id } = await thread.sendMessage({ content: "joined" });
      expect((await thread.getMessage(id)).content?.message).toBe("joined");
      await thread.addParticipants({ participants: [{ id: carol.user }] });
      await thread.removeParticipant(carol.user);
      expect((await thread.getProperties()).topic).toBe("join");
    });

    it("chat.join.limited may read and send but not add or remove participants", async () => {
      const alice = await fx.newUser();
      const limited = await fx.newUser(["chat.join.limited"]);
      const carol = await fx.newUser();
      const { chatThread } = await alice.chat.createChatThread({ topic: "limited" }, { participants: [{ id: limited.user }, { id: carol.user }] });
      const thread = limited.chat.getChatThreadClient(chatThread!.id);
      await expect(thread.addParticipants({ participants: [{ id: alice.user }] })).rejects.toMatchObject({ statusCode: 403, code: "InsufficientScope" });
      await expect(thread.removeParticipant(carol.user)).rejects.toMatchObject({ statusCode: 403, code: "InsufficientScope" });
      await expect(thread.updateTopic("x")).rejects.toMatchObject({ statusCode: 403, code: "InsufficientScope" });
      const { id } = await thread.sendMessage({ content: "limited hello" });
      await thread.sendReadReceipt({ chatMessageId: id });
      expect((await collect(thread.listMessages())).map((m) => m.id)).toContain(id);
      expect(await collect(limited.chat.listChatThreads())).toHaveLength(1);
    });
  });

  describe("membership and resources", () => {
    it("a non-participant gets 404 ThreadNotFound for every operation, exactly like an unknown thread", async () => {
      const alice = await fx.newUser();
      const eve = await fx.newUser();
      const { chatThread } = await alice.chat.createChatThread({ topic: "private" });
      const { id } = await alice.chat.getChatThreadClient(chatThread!.id).sendMessage({ content: "secret" });
      const t = eve.chat.getChatThreadClient(chatThread!.id);
      const attempts: Array<[string, () => Promise<unknown>]> = [
        ["getProperties", () => t.getProperties()],
        ["sendMessage", () => t.sendMessage({ content: "x" })],
        ["getMessage", () => t.getMessage(id)],
        ["listMessages", () => t.listMessages().next()],
        ["listParticipants", () => t.listParticipants().next()],
        ["listReadReceipts", () => t.listReadReceipts().next()],
        ["addParticipants (herself)", () => t.addParticipants({ participants: [{ id: eve.user }] })],
        ["removeParticipant", () => t.removeParticipant(alice.user)],
        ["updateTopic", () => t.updateTopic("x")],
        ["updateMessage", () => t.updateMessage(id, { content: "x" })],
        ["deleteMessage", () => t.deleteMessage(id)],
        ["sendReadReceipt", () => t.sendReadReceipt({ chatMessageId: id })],
        ["sendTypingNotification", () => t.sendTypingNotification()],
        ["deleteChatThread", () => eve.chat.deleteChatThread(chatThread!.id)],
      ];
      for (const [name, attempt] of attempts) {
        await expect(attempt(), name).rejects.toMatchObject({ statusCode: 404, code: "ThreadNotFound" });
      }
      await expect(eve.chat.getChatThreadClient("19:00000000000000000000000000000000@thread.v2").getProperties()).rejects.toMatchObject({
        statusCode: 404,
        code: "ThreadNotFound",
      });
      expect((await alice.chat.getChatThreadClient(chatThread!.id).getMessage(id)).content?.message).toBe("secret");
      expect(await collect(eve.chat.listChatThreads())).toEqual([]);
    });

    it("a user of another resource can do nothing with this resource's threads or users", async () => {
      const port = new URL(fx.srv.httpsUrl).port;
      const other = await fx.srv.server.core.resources.create(`other-${backend}`, [`localhost:${port}`]);
      await fx.srv.server.core.registry.settled();
      const otherEndpoint = `https://localhost:${port}`;
      const otherIdentity = new CommunicationIdentityClient(connectionString(otherEndpoint, other.keys.primary.value));
      const mallory = await otherIdentity.createUserAndToken(["chat"]);
      expect(mallory.user.communicationUserId.startsWith(`8:acs:${other.id}_`)).toBe(true);

      const alice = await fx.newUser();
      const { chatThread } = await alice.chat.createChatThread({ topic: "home" });

      // Mallory's token addressed to this resource: refused outright.
      await expect(fx.chatClient(mallory.token).getChatThreadClient(chatThread!.id).getProperties()).rejects.toMatchObject({
        statusCode: 401,
        code: "TokenResourceMismatch",
      });
      // On her own resource the thread does not exist.
      const malloryChat = fx.chatClient(mallory.token, otherEndpoint);
      await expect(malloryChat.getChatThreadClient(chatThread!.id).getProperties()).rejects.toMatchObject({ statusCode: 404, code: "ThreadNotFound" });
      await expect(malloryChat.getChatThreadClient(chatThread!.id).sendMessage({ content: "x" })).rejects.toMatchObject({ statusCode: 404 });
      // She cannot pull Alice into her resource's thread, nor can Alice add her.
      const hers = await malloryChat.createChatThread({ topic: "hers" }, { participants: [{ id: alice.user }] });
      expect(hers.invalidParticipants).toEqual([expect.objectContaining({ code: "InvalidParticipant", target: alice.id })]);
      const added = await alice.chat.getChatThreadClient(chatThread!.id).addParticipants({ participants: [{ id: mallory.user }] });
      expect(added.invalidParticipants?.map((e) => e.target)).toEqual([mallory.user.communicationUserId]);
      // Alice's token addressed to the other resource: refused.
      await expect(fx.chatClient(alice.token, otherEndpoint).listChatThreads().next()).rejects.toMatchObject({ statusCode: 401, code: "TokenResourceMismatch" });
    });

    it("Teams users (8:orgid:) known to the resource can be participants and callers; phone numbers and unknown ids are invalid", async () => {
      const core = fx.srv.server.core;
      const oid = "3f2a8c1e-7d4b-4e9a-9c1f-2b6d8e0a4c71";
      const teamsRawId = `8:orgid:${oid}`;
      await core.store.write((trx) => core.identityRepository.insert(trx, teamsRawId, fx.srv.resource.id, Date.now()));
      const alice = await fx.newUser();
      const created = await alice.chat.createChatThread(
        { topic: "teams" },
        {
          participants: [
            { id: { microsoftTeamsUserId: oid }, displayName: "Teams Tom" },
            { id: { phoneNumber: "+14255550123" } },
            { id: { microsoftTeamsUserId: "00000000-0000-0000-0000-000000000000" } },
          ],
        },
      );
      expect(created.invalidParticipants?.map((e) => e.target).sort()).toEqual(["4:+14255550123", "8:orgid:00000000-0000-0000-0000-000000000000"]);
      const thread = alice.chat.getChatThreadClient(created.chatThread!.id);
      const tom = (await collect(thread.listParticipants())).find((p) => "microsoftTeamsUserId" in p.id);
      expect(tom).toEqual({
        id: { kind: "microsoftTeamsUser", microsoftTeamsUserId: oid, isAnonymous: false, cloud: "public", rawId: teamsRawId },
        displayName: "Teams Tom",
      });

      const tomToken = await core.userTokens.issue({ identity: teamsRawId, resourceId: fx.srv.resource.id, scopes: ["chat"], lifetimeMinutes: 60, generation: 0 });
      const { id } = await fx.chatClient(tomToken.token).getChatThreadClient(created.chatThread!.id).sendMessage({ content: "from Teams" });
      const message = await thread.getMessage(id);
      expect(message.sender).toEqual({ kind: "microsoftTeamsUser", microsoftTeamsUserId: oid, isAnonymous: false, cloud: "public", rawId: teamsRawId });
    });
  });

  it("raw bearer requests with malformed input are 4xx, never 500", async () => {
    const alice = await fx.newUser();
    const { chatThread } = await alice.chat.createChatThread({ topic: "raw" });
    const t = `/chat/threads/${enc(chatThread!.id)}`;
    const cases: Array<[string, string, unknown, number, string]> = [
      ["GET", `/chat/threads/not-a-thread?${API}`, undefined, 400, "InvalidThreadId"],
      ["GET", `/chat/threads/${enc("19:abc@thread.v2")}?${API}`, undefined, 404, "ThreadNotFound"],
      ["GET", `${t}/messages/abc?${API}`, undefined, 400, "InvalidMessageId"],
      ["GET", `${t}/messages/12345?${API}`, undefined, 404, "MessageNotFound"],
      ["GET", `${t}/messages?maxPageSize=0&${API}`, undefined, 400, "InvalidPageSize"],
      ["GET", `${t}/messages?maxPageSize=abc&${API}`, undefined, 400, "InvalidPageSize"],
      ["GET", `${t}/messages?syncState=%7Bbad&${API}`, undefined, 400, "InvalidContinuationToken"],
      ["GET", `/chat/threads?syncState=garbage&${API}`, undefined, 400, "InvalidContinuationToken"],
      ["GET", `${t}/messages?startTime=yesterday&${API}`, undefined, 400, "InvalidStartTime"],
      ["GET", `${t}/participants?skip=-1&${API}`, undefined, 400, "InvalidSkip"],
      ["POST", `${t}/messages?${API}`, "{not json", 400, "InvalidJson"],
      ["POST", `${t}/messages?${API}`, { content: 5 }, 400, "InvalidRequestBody"],
      ["POST", `${t}/messages?${API}`, { content: "x", type: "video" }, 400, "InvalidMessageType"],
      ["POST", `${t}/participants/:add?${API}`, { participants: [{ communicationIdentifier: { communicationUser: {} } }] }, 400, "InvalidIdentifier"],
      [
        "POST",
        `${t}/participants/:add?${API}`,
        { participants: [{ communicationIdentifier: { rawId: "8:acs:x", communicationUser: { id: "8:acs:x" }, phoneNumber: { value: "+1" } } }] },
        400,
        "InvalidIdentifier",
      ],
      ["POST", `${t}/participants/:add?${API}`, { participants: [{ communicationIdentifier: { rawId: "8:acs:a", communicationUser: { id: "8:acs:b" } } }] }, 400, "InvalidIdentifier"],
      ["POST", `${t}/participants/:remove?${API}`, { nothing: true }, 400, "InvalidIdentifier"],
      ["POST", `${t}/readReceipts?${API}`, { chatMessageId: "abc" }, 400, "InvalidMessageId"],
      ["PATCH", `${t}?${API}`, { retentionPolicy: { kind: "threadCreationDate" } }, 400, "InvalidRequestBody"],
      ["POST", `/chat/threads?${API}`, { participants: [] }, 400, "InvalidRequestBody"],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await fx.call(alice.token, method, path, body);
      expect({ path, method, status: res.status, code: res.body?.error?.code }).toEqual({ path, method, status, code });
      expect(res.headers.get("x-ms-error-code")).toBe(code);
    }
    const tooLong = await fetch(`${fx.srv.httpsUrl}/chat/threads?${API}`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json", "repeatability-request-id": "x".repeat(200) },
      body: JSON.stringify({ topic: "t" }),
    });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as any).error.code).toBe("InvalidRepeatabilityRequestId");
  });
});
