import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames, freshPostgresUrl } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { startWebhookReceiver, waitFor, type WebhookReceiver } from "./webhook-receiver.js";

/**
 * The delivery worker is woken when events commit, not only by its poll: with the poll set to a minute, events still
 * arrive (SQLite: in-process; PostgreSQL: NOTIFY from the recording transaction through the realtime bus, so a
 * message written through the other replica wakes this one's worker too).
 */
describe.each(backendNames)("delivery worker woken on commit (%s)", (backend) => {
  let a: TestServer;
  let b: TestServer;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    if (backend === "postgres") {
      const databaseUrl = await freshPostgresUrl();
      a = await startTestServer({ backend, config: { databaseUrl, events: { pollMs: 60_000 } } });
      // The second replica never delivers: its worker is stopped, so what it records must wake A.
      b = await startTestServer({ backend, config: { databaseUrl, events: { pollMs: 60_000 } } });
      await b.server.core.events.worker.stop();
    } else {
      a = await startTestServer({ config: { events: { pollMs: 60_000 } } });
      b = a;
    }
  });
  afterAll(async () => {
    if (b !== a) await b?.close();
    await a?.close();
    await receiver?.close();
  });

  it("a chat message's event reaches the webhook without waiting for the (one-minute) poll", async () => {
    const sub = await a.server.core.events.subscriptions.subscribe(a.resource, { endpoint: receiver.url, types: ["Microsoft.Communication.ChatMessageReceivedInThread"] });
    expect(sub.status).toBe("active");
    const identity = new CommunicationIdentityClient(a.connectionString("https"));
    const alice = await identity.createUserAndToken(["chat"]);
    const chat = new ChatClient(b.httpsUrl, new AzureCommunicationTokenCredential(alice.token));
    const { chatThread } = await chat.createChatThread({ topic: "wake" });
    // The worker's first pass ran at start; the next poll is a minute away.
    const { id } = await chat.getChatThreadClient(chatThread!.id).sendMessage({ content: "now" });
    const delivered = await waitFor(
      () => receiver.notifications().flatMap((n) => JSON.parse(n.body) as Array<{ data: { messageId: string } }>).find((e) => e.data.messageId === id),
      "the event, delivered on the wake",
      20_000,
    );
    expect(delivered.data.messageId).toBe(id);
  });
});
