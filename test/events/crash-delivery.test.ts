import { EventGridDeserializer } from "@azure/eventgrid";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { openStore } from "../../src/store/store.js";
import { generateAccessKey } from "../../src/util/crypto.js";
import { backendNames, freshPostgresUrl } from "../support/backends.js";
import { identityClient, runCli, startChildServer, type ChildServer } from "../scale/child-server.js";
import { startWebhookReceiver, waitFor } from "./webhook-receiver.js";

const CHAT_API = "api-version=2025-03-15";
const MESSAGES = 20;

/**
 * Durable delivery: events raised while the webhook answers 503 sit in the event outbox; the server is killed with
 * SIGKILL, restarted on the same storage, and then delivers every one of them. The subscription is made and
 * inspected through the real CLI.
 */
describe.each(backendNames)("events survive kill -9 (%s)", (backend) => {
  const children: ChildServer[] = [];
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
  });

  it("queued while the endpoint is down, killed, restarted: all delivered", async () => {
    const primaryKey = generateAccessKey();
    const secondaryKey = generateAccessKey();
    const databaseUrl = backend === "postgres" ? await freshPostgresUrl() : undefined;
    // The chat calls below carry a bearer token over the child's plain-HTTP listener: allowed only through a trusted
    // proxy that says the client used HTTPS (SECURITY.md), which the test plays.
    const env = {
      SWITCHBOARD_EVENTS_RETRY_DELAYS_MS: "200",
      SWITCHBOARD_PRIMARY_KEY: primaryKey,
      SWITCHBOARD_SECONDARY_KEY: secondaryKey,
      SWITCHBOARD_TRUSTED_PROXIES: "127.0.0.1",
    };
    const receiver = await startWebhookReceiver();
    try {
      const first = await startChildServer({ databaseUrl, primaryKey, secondaryKey, env });
      children.push(first);
      const store = ["--data-dir", first.dataDir, ...(databaseUrl !== undefined ? ["--database-url", databaseUrl] : [])];
      const subscribed = JSON.parse(
        await runCli(["events", "subscribe", "--endpoint", receiver.url, "--types", "Microsoft.Communication.ChatMessageReceived", "--json", ...store], env),
      ) as { id: string; status: string };
      expect(subscribed.status).toBe("active");

      receiver.alwaysAnswer(503);
      const identities = identityClient(first.httpUrl, primaryKey);
      const alice = (await identities.createWithToken(["chat"])).body;
      const bob = (await identities.createWithToken(["chat"])).body;
      const chat = (method: string, path: string, body: unknown) =>
        fetch(`${first.httpUrl}${path}${path.includes("?") ? "&" : "?"}${CHAT_API}`, {
          method,
          headers: { authorization: `Bearer ${alice.accessToken.token}`, "content-type": "application/json", "x-forwarded-proto": "https" },
          body: JSON.stringify(body),
        });
      const created = await chat("POST", "/chat/threads", { topic: "crash", participants: [{ communicationIdentifier: { rawId: bob.identity.id, communicationUser: { id: bob.identity.id } } }] });
      expect(created.status).toBe(201);
      const threadId = ((await created.json()) as { chatThread: { id: string } }).chatThread.id;
      const sent: string[] = [];
      for (let i = 0; i < MESSAGES; i++) {
        const res = await chat("POST", `/chat/threads/${encodeURIComponent(threadId)}/messages`, { content: `m${i}` });
        expect(res.status).toBe(201);
        sent.push(((await res.json()) as { id: string }).id);
      }
      await waitFor(() => receiver.notifications().some((r) => r.status === 503), "a failed attempt");
      process.kill(first.pid, "SIGKILL");
      expect(await first.exited).toBe("SIGKILL");

      // Nothing was delivered, and every event is still in the outbox.
      expect(receiver.notifications().filter((r) => r.status === 200)).toEqual([]);
      const config = loadConfig({ overrides: { dataDir: first.dataDir, ...(databaseUrl !== undefined ? { databaseUrl } : {}), log: { level: "silent" } } });
      const db = await openStore(config, { migrate: false });
      try {
        expect(Number((await db.db.selectFrom("event_deliveries").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n)).toBe(MESSAGES);
      } finally {
        await db.close();
      }

      receiver.alwaysAnswer(undefined);
      const second = await startChildServer({ databaseUrl, dataDir: first.dataDir, primaryKey, secondaryKey, env });
      children.push(second);
      const deserializer = new EventGridDeserializer();
      const delivered = await waitFor(
        async () => {
          const events = [];
          for (const r of receiver.notifications().filter((n) => n.status === 200)) events.push(...(await deserializer.deserializeEventGridEvents(r.body)));
          return events.length >= MESSAGES && events;
        },
        "every queued event after the restart",
        // A row claimed at the kill is retried when its lease (timeoutMs + 5 s) runs out.
        50_000,
      );
      expect(delivered.map((e) => (e.data as { messageId: string }).messageId).sort()).toEqual([...sent].sort());
      expect(new Set(delivered.map((e) => e.id)).size).toBe(MESSAGES);
      expect(JSON.parse(await runCli(["events", "failures", "--json", ...store], env))).toEqual([]);
      const listed = JSON.parse(await runCli(["events", "list", "--json", ...store], env)) as Array<{ id: string; status: string }>;
      expect(listed).toEqual([expect.objectContaining({ id: subscribed.id, status: "active", endpoint: receiver.url })]);
    } finally {
      await receiver.close();
    }
  }, 150_000);
});
