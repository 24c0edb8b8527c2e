import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig, type ConfigInput } from "../../src/config/config.js";
import { DeliveryWorker } from "../../src/events/delivery-worker.js";
import { EventRecorder } from "../../src/events/event-recorder.js";
import { SubscriptionService } from "../../src/events/subscription-service.js";
import { openStore, type Store } from "../../src/store/store.js";
import { createFixedClock } from "../../src/util/clock.js";
import { backendConfig, backendNames } from "../support/backends.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

const resource = { id: "res-1", name: "contoso" };
const silent = pino({ level: "silent" });

function chatEvent(i: number) {
  return { eventType: "Microsoft.Communication.ChatMessageReceivedInThread", subject: `thread/t/sender/s${i}`, data: { messageBody: `m${i}`, threadId: "t" } };
}

describe.each(backendNames)("event delivery worker (%s)", (backend) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function setup(events: ConfigInput["events"] = {}) {
    const clock = createFixedClock(Date.UTC(2026, 0, 1));
    const overrides = { dataDir: mkdtempSync(path.join(tmpdir(), "switchboard-events-")), ...(await backendConfig(backend)), events };
    const config = loadConfig({ overrides });
    const open = async (): Promise<Store> => {
      const s = await openStore(config, { now: () => clock.now() });
      cleanup.push(() => s.close());
      return s;
    };
    const store = await open();
    const receiver: WebhookReceiver = await startWebhookReceiver();
    cleanup.push(() => receiver.close());
    const subs = new SubscriptionService(store, clock, { allowedHosts: [], timeoutMs: 5000 });
    const sub = await subs.subscribe(resource, { endpoint: receiver.url });
    expect(sub.status).toBe("active");
    const recorder = new EventRecorder(clock);
    const record = (n: number, from = 0) => store.write((trx) => recorder.record(trx, resource, Array.from({ length: n }, (_, i) => chatEvent(from + i))));
    const worker = (s: Store = store) => new DeliveryWorker(s, clock, config.events, silent);
    return { clock, config, store, open, receiver, subs, record, worker };
  }

  it("an SMS webhook target keeps its own schedule (sms.webhookBackoffMs doubling, sms.webhookMaxAttempts), then dead-letters", async () => {
    const { clock, receiver, store, config } = await setup();
    await store.write((trx) => trx.deleteFrom("event_subscriptions").execute()); // only the SMS target below
    const { syncSmsWebhookTargets, isSmsWebhookTarget } = await import("../../src/events/sms-webhook-repository.js");
    const policy = { delaysMs: [1_000, 2_000], maxAttempts: 3 };
    const w = new DeliveryWorker(store, clock, config.events, silent, undefined, (id) => (isSmsWebhookTarget(id) ? policy : undefined));
    const recorder = new EventRecorder(clock);
    await store.write(async (trx) => {
      await syncSmsWebhookTargets(trx, resource.id, [`${receiver.url}?legacy=1`], clock.now());
      await recorder.record(trx, resource, [{ eventType: "Microsoft.Communication.SMSDeliveryReportReceived", subject: "/phonenumber/1425", data: { messageId: "m1", to: "+1425" } }]);
    });
    // One row, for the SMS target.
    const rows = await store.db.selectFrom("event_deliveries").selectAll().execute();
    expect(rows.map((r) => r.subscription_id)).toEqual([expect.stringMatching(/^smswebhook-/)]);
    receiver.failNext(503, 503, 503);
    expect(await w.runOnce()).toBe(1);
    clock.advance(999);
    expect(await w.runOnce()).toBe(0);
    clock.advance(1);
    expect(await w.runOnce()).toBe(1); // 1 s after the first failure
    clock.advance(1_999);
    expect(await w.runOnce()).toBe(0);
    clock.advance(1);
    expect(await w.runOnce()).toBe(1); // 2 s after the second: the third attempt fails, the last one allowed
    expect(await store.db.selectFrom("event_deliveries").select(["status", "attempts", "last_error"]).execute()).toEqual([
      { status: "dead", attempts: 3, last_error: "HTTP 503" },
    ]);
    expect(receiver.notifications().map((r) => r.status)).toEqual([503, 503, 503]);
  });

  it("retries on Event Grid's schedule through the injected clock: 10 s, then 30 s", async () => {
    const { clock, receiver, record, worker, store } = await setup();
    const w = worker();
    await record(1);
    receiver.failNext(503, 503);
    expect(await w.runOnce()).toBe(1);
    const row = await store.db.selectFrom("event_deliveries").selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ attempts: 1, status: "pending", last_error: "HTTP 503", next_attempt_at: clock.now() + 10_000 });
    clock.advance(9_999);
    expect(await w.runOnce()).toBe(0); // not due yet
    clock.advance(1);
    expect(await w.runOnce()).toBe(1); // the first retry, 10 s after the failure: 503 again
    clock.advance(29_999);
    expect(await w.runOnce()).toBe(0);
    clock.advance(1);
    expect(await w.runOnce()).toBe(1);
    expect(receiver.notifications().map((r) => [r.status, r.headers["aeg-delivery-count"]])).toEqual([
      [503, "0"],
      [503, "1"],
      [200, "2"],
    ]);
    expect(await store.db.selectFrom("event_deliveries").selectAll().execute()).toEqual([]); // delivered rows are gone
  });

  it("dead-letters after maxAttempts, after maxAge, and at once on 400; failures lists them", async () => {
    const { clock, receiver, record, worker, subs } = await setup({ maxAttempts: 3, retryDelaysMs: [1000], maxAgeMs: 60_000 });
    const w = worker();
    receiver.alwaysAnswer(500);
    await record(1, 0);
    for (let i = 0; i < 3; i++) {
      expect(await w.runOnce()).toBe(1);
      clock.advance(1000);
    }
    expect(await w.runOnce()).toBe(0);
    const [dead] = await subs.failures(resource.id);
    expect(dead).toMatchObject({ attempts: 3, lastError: "HTTP 500", eventType: "Microsoft.Communication.ChatMessageReceivedInThread" });
    expect((dead!.event as { data: { messageBody: string } }).data.messageBody).toBe("m0");

    await record(1, 1);
    expect(await w.runOnce()).toBe(1); // attempt 1 fails
    clock.advance(61_000); // older than maxAge at the next failure
    expect(await w.runOnce()).toBe(1);
    expect((await subs.failures(resource.id)).map((f) => [f.attempts, (f.event as { data: { messageBody: string } }).data.messageBody])).toEqual([
      [2, "m1"],
      [3, "m0"],
    ]);

    receiver.alwaysAnswer(400);
    await record(1, 2);
    expect(await w.runOnce()).toBe(1);
    expect((await subs.failures(resource.id))[0]).toMatchObject({ attempts: 1, lastError: "HTTP 400" });
    expect(await w.runOnce()).toBe(0);
  });

  it("events queued in batches; two workers on one database deliver each event exactly once", async () => {
    const { record, worker, open, receiver } = await setup({ batchSize: 25 });
    await record(200);
    const a = worker();
    const b = worker(await open());
    const drain = async (w: DeliveryWorker) => {
      while ((await w.runOnce()) > 0) {
        /* more */
      }
    };
    await Promise.all([drain(a), drain(b)]);
    const posts = receiver.notifications();
    expect(posts.every((p) => p.status === 200)).toBe(true);
    const ids = posts.flatMap((p) => (JSON.parse(p.body) as Array<{ id: string }>).map((e) => e.id));
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
    expect(Math.max(...posts.map((p) => (JSON.parse(p.body) as unknown[]).length))).toBeLessThanOrEqual(25);
  });

  it("events are written in the change's transaction: a rolled-back write leaves none", async () => {
    const { store, clock } = await setup();
    const recorder = new EventRecorder(clock);
    await expect(
      store.write(async (trx) => {
        expect(await recorder.record(trx, resource, [chatEvent(1), chatEvent(2)])).toBe(2);
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await store.db.selectFrom("event_deliveries").selectAll().execute()).toEqual([]);
  });

  it("deleting a subscription drops its queued events; failed handshakes receive nothing", async () => {
    const { record, worker, subs, receiver, store } = await setup();
    const [sub] = await subs.list(resource.id);
    await record(3);
    await subs.delete(resource.id, sub!.id);
    expect(await worker().runOnce()).toBe(0);
    await expect(subs.delete(resource.id, sub!.id)).rejects.toMatchObject({ code: "SubscriptionNotFound" });
    receiver.handshake = "wrong";
    expect((await subs.subscribe(resource, { endpoint: receiver.url })).status).toBe("failed");
    await record(2);
    expect(await store.db.selectFrom("event_deliveries").selectAll().execute()).toEqual([]);
  });
});
