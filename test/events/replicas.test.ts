import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames, freshPostgresUrl } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { startWebhookReceiver, waitFor, type WebhookReceiver } from "./webhook-receiver.js";

const MESSAGES = 60;

/** Two replicas on one database, both running a delivery worker: every event reaches the webhook once. */
describe.each(backendNames)("event delivery with two replicas (%s)", (backend) => {
  let a: TestServer;
  let b: TestServer;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    const config = { events: { pollMs: 10, batchSize: 5 } };
    if (backend === "postgres") {
      const databaseUrl = await freshPostgresUrl();
      a = await startTestServer({ backend, config: { databaseUrl, ...config } });
      b = await startTestServer({ backend, config: { databaseUrl, ...config } });
    } else {
      a = await startTestServer({ config });
      b = await startTestServer({ dataDir: a.dataDir, config });
    }
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await receiver?.close();
  });

  it("each ChatMessageReceived is delivered by exactly one replica", async () => {
    const sub = await a.server.core.events.subscriptions.subscribe(a.resource, { endpoint: receiver.url, types: ["Microsoft.Communication.ChatMessageReceived"] });
    expect(sub.status).toBe("active");
    const identity = new CommunicationIdentityClient(a.connectionString("https"));
    const alice = await identity.createUserAndToken(["chat"]);
    const bob = await identity.createUserAndToken(["chat"]);
    const client = (srv: TestServer) => new ChatClient(srv.httpsUrl, new AzureCommunicationTokenCredential(alice.token));
    const { chatThread } = await client(a).createChatThread({ topic: "replicas" }, { participants: [{ id: bob.user }] });
    // Messages through both replicas, concurrently.
    await Promise.all(
      Array.from({ length: MESSAGES }, (_, i) => client(i % 2 === 0 ? a : b).getChatThreadClient(chatThread!.id).sendMessage({ content: `m${i}` })),
    );
    const ids = await waitFor(() => {
      const all = receiver.notifications().flatMap((r) => (JSON.parse(r.body) as Array<{ id: string }>).map((e) => e.id));
      return all.length >= MESSAGES && all;
    }, "every event");
    await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive within a few poll intervals
    const all = receiver.notifications().flatMap((r) => (JSON.parse(r.body) as Array<{ id: string }>).map((e) => e.id));
    expect(all).toHaveLength(MESSAGES);
    expect(new Set(all).size).toBe(MESSAGES);
    expect(ids.length).toBe(MESSAGES);
  });
});
