import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { backendNames, freshPostgresUrl } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/** Two server processes' worth of Switchboard on one database: what one replica changes, the other must honour. */
describe.each(backendNames)("Chat across replicas sharing one database (%s)", (backend) => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    if (backend === "postgres") {
      const databaseUrl = await freshPostgresUrl();
      a = await startTestServer({ backend, config: { databaseUrl } });
      b = await startTestServer({ backend, config: { databaseUrl } });
    } else {
      a = await startTestServer();
      b = await startTestServer({ dataDir: a.dataDir });
    }
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it("a revocation or deletion made through one replica refuses the token on the other within the poll interval", async () => {
    const identity = new CommunicationIdentityClient(a.connectionString("https"));
    const alice = await identity.createUserAndToken(["chat"]);
    const bob = await identity.createUserAndToken(["chat"]);
    const onB = (token: string) => new ChatClient(b.httpsUrl, new AzureCommunicationTokenCredential(token), { retryOptions: { maxRetries: 0 } });

    // Replica B serves a thread created through replica A, and warms its token caches.
    const { chatThread } = await new ChatClient(a.httpsUrl, new AzureCommunicationTokenCredential(alice.token)).createChatThread(
      { topic: "replicated" },
      { participants: [{ id: bob.user }] },
    );
    await onB(alice.token).getChatThreadClient(chatThread!.id).sendMessage({ content: "via B" });
    await onB(bob.token).getChatThreadClient(chatThread!.id).getProperties();

    await identity.revokeTokens(alice.user);
    await identity.deleteUser(bob.user);
    await vi.waitFor(
      async () => {
        await expect(onB(alice.token).getChatThreadClient(chatThread!.id).getProperties()).rejects.toMatchObject({
          statusCode: 401,
          code: "TokenRevoked",
        });
        await expect(onB(bob.token).getChatThreadClient(chatThread!.id).getProperties()).rejects.toMatchObject({
          statusCode: 401,
          code: "IdentityDeleted",
        });
      },
      { timeout: 3_000, interval: 50 },
    );
    // The message sent through B is there for A's readers.
    const fresh = await identity.getToken(alice.user, ["chat"]);
    const messages = [];
    for await (const m of new ChatClient(a.httpsUrl, new AzureCommunicationTokenCredential(fresh.token)).getChatThreadClient(chatThread!.id).listMessages()) {
      messages.push(m.content?.message);
    }
    expect(messages).toContain("via B");
  });
});
