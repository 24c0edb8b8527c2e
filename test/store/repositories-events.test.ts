import { afterEach, describe, expect, it } from "vitest";
import { ChatEventRepository } from "../../src/chat/chat-event-repository.js";
import { ChatRepository } from "../../src/chat/chat-repository.js";
import { ResourceRepository } from "../../src/resources/resource-repository.js";
import { EventOutboxRepository, EventsRepository, type EventSubscriptionRow, type NewEventDelivery } from "../../src/events/events-repository.js";
import { isSmsWebhookTarget, smsWebhookTargetId, syncSmsWebhookTargets } from "../../src/events/sms-webhook-repository.js";
import { ReplicaRepository } from "../../src/realtime/replica-repository.js";
import type { Store } from "../../src/store/store.js";
import { backendNames } from "../support/backends.js";
import { chatThreadRow, createTestDatabase, type TestDatabase } from "./store-fixture.js";

let tdb: TestDatabase;
afterEach(async () => {
  await tdb.closeAll();
});

function subscription(id: string, resourceId: string, createdAt: number, status = "active", types: string | null = null): EventSubscriptionRow {
  return { id, resource_id: resourceId, endpoint: `https://hooks.example/${id}`, schema: "eventgrid", types, status, status_detail: null, created_at: createdAt };
}

function delivery(subscriptionId: string, resourceId: string, n: number, nextAttemptAt = 0): NewEventDelivery {
  return {
    subscription_id: subscriptionId,
    resource_id: resourceId,
    event_id: `e-${n}`,
    event_type: "Microsoft.Communication.SMSReceived",
    body: JSON.stringify({ n }),
    status: "pending",
    attempts: 0,
    next_attempt_at: nextAttemptAt,
    claimed_until: null,
    last_error: null,
    created_at: 0,
    dead_at: null,
  };
}

describe.each(backendNames)("EventsRepository and EventOutboxRepository on %s", (backend) => {
  async function setup(): Promise<{ store: Store; repo: EventsRepository; outbox: EventOutboxRepository }> {
    tdb = await createTestDatabase(backend);
    const store = await tdb.open();
    return { store, repo: new EventsRepository(store), outbox: new EventOutboxRepository() };
  }
  const ids = (rows: Array<{ id: number | string }>) => rows.map((r) => Number(r.id));
  /** A claim's rows in id order (UPDATE … RETURNING gives no order on PostgreSQL). */
  const events = (rows: Array<{ id: number | string; event_id: string }>) => [...rows].sort((a, b) => Number(a.id) - Number(b.id)).map((r) => r.event_id);

  it("subscriptions: insert, status, find, list oldest first per resource, delivery targets", async () => {
    const { repo } = await setup();
    await repo.insertSubscription(subscription("s-2", "r-1", 20, "pending"));
    await repo.insertSubscription(subscription("s-1", "r-1", 20, "pending"));
    await repo.insertSubscription(subscription("s-0", "r-1", 10, "pending"));
    await repo.insertSubscription(subscription("s-9", "r-2", 5, "pending"));
    await expect(repo.insertSubscription(subscription("s-1", "r-1", 30))).rejects.toThrow();
    await repo.setSubscriptionStatus("s-1", { status: "active", status_detail: null });
    await repo.setSubscriptionStatus("s-2", { status: "failed", status_detail: "handshake answered 404" });
    const found = await repo.findSubscription("s-2");
    expect({ ...found, created_at: Number(found?.created_at) }).toEqual({ ...subscription("s-2", "r-1", 20), status: "failed", status_detail: "handshake answered 404" });
    expect(await repo.findSubscription("s-x")).toBeUndefined();
    expect((await repo.listSubscriptions("r-1")).map((s) => [s.id, s.status])).toEqual([
      ["s-0", "pending"],
      ["s-1", "active"],
      ["s-2", "failed"],
    ]);
    expect(await repo.listSubscriptions("r-3")).toEqual([]);
    const targets = await repo.deliveryTargets(["s-1", "s-9", "gone"]);
    expect(targets.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: "s-1", endpoint: "https://hooks.example/s-1", schema: "eventgrid" },
      { id: "s-9", endpoint: "https://hooks.example/s-9", schema: "eventgrid" },
    ]);
  });

  it("the outbox side reads active subscriptions and queues rows in the caller's transaction: a rollback leaves none", async () => {
    const { store, repo, outbox } = await setup();
    await repo.insertSubscription(subscription("s-a", "r-1", 1, "active", '["T1"]'));
    await repo.insertSubscription(subscription("s-p", "r-1", 2, "pending"));
    await repo.insertSubscription(subscription("s-o", "r-2", 3, "active"));
    expect(await store.write((trx) => outbox.activeSubscriptions(trx, "r-1"))).toEqual([{ id: "s-a", schema: "eventgrid", types: '["T1"]' }]);
    expect(await outbox.activeSubscriptions(store.db, "r-3")).toEqual([]);

    // 450 rows: more than one insert statement (200 rows each).
    const rows = Array.from({ length: 450 }, (_, i) => delivery("s-a", "r-1", i));
    await expect(
      store.write(async (trx) => {
        await outbox.insertDeliveries(trx, rows);
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await store.db.selectFrom("event_deliveries").select("id").execute()).toEqual([]);
    await store.write((trx) => outbox.insertDeliveries(trx, rows));
    const stored = await store.db.selectFrom("event_deliveries").select(["event_id"]).orderBy("id").execute();
    expect(stored.map((r) => r.event_id)).toEqual(rows.map((r) => r.event_id));
  });

  it("claims due rows in id order with a lease; a claimed row is not due again until its lease runs out", async () => {
    const { store, repo, outbox } = await setup();
    await store.write((trx) =>
      outbox.insertDeliveries(trx, [delivery("s", "r", 1, 100), delivery("s", "r", 2, 100), delivery("s", "r", 3, 500), delivery("s", "r", 4, 100)]),
    );
    const first = await repo.claimDue(100, 1_000, 2);
    expect(events(first)).toEqual(["e-1", "e-2"]);
    expect(first.map((r) => Number(r.claimed_until))).toEqual([1_000, 1_000]);
    expect(events(await repo.claimDue(100, 1_000, 10))).toEqual(["e-4"]); // e-3 not due yet
    expect(await repo.claimDue(999, 2_000, 10)).toHaveLength(1); // e-3 now due; the leased ones are not
    expect(events(await repo.claimDue(1_001, 3_000, 10))).toEqual(["e-1", "e-2", "e-4"]); // their lease ran out
  });

  it("two claimers at once never get the same row, and together they get every due row", async () => {
    const { store, repo, outbox } = await setup();
    const other = new EventsRepository(await tdb.open()); // a second process on the same database
    await store.write((trx) => outbox.insertDeliveries(trx, Array.from({ length: 120 }, (_, i) => delivery("s", "r", i))));
    const claimed: number[][] = [[], []];
    for (let round = 0; round < 6; round++) {
      const [a, b] = await Promise.all([repo.claimDue(10, 1_000, 15), other.claimDue(10, 1_000, 15)]);
      claimed[0]!.push(...ids(a));
      claimed[1]!.push(...ids(b));
    }
    const all = [...claimed[0]!, ...claimed[1]!];
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(120);
    expect(claimed[0]!.length).toBeGreaterThan(0);
    expect(claimed[1]!.length).toBeGreaterThan(0);
  });

  it("settles: delivered rows are deleted, failed ones rescheduled or dead-lettered; dead ones listed newest first per resource", async () => {
    const { store, repo, outbox } = await setup();
    await store.write((trx) =>
      outbox.insertDeliveries(trx, [delivery("s", "r-1", 1), delivery("s", "r-1", 2), delivery("s", "r-1", 3), delivery("s", "r-1", 4), delivery("t", "r-2", 5)]),
    );
    const rows = await repo.claimDue(0, 100, 10);
    const [d1, d2, d3, d4, d5] = ids(rows).sort((a, b) => a - b);
    await repo.deleteDeliveries([d1!]);
    await repo.updateDeliveries([
      { id: d2!, set: { attempts: 1, next_attempt_at: 10_000, claimed_until: null, last_error: "HTTP 503" } },
      { id: d3!, set: { attempts: 1, status: "dead", dead_at: 50, claimed_until: null, last_error: "HTTP 400" } },
      { id: d4!, set: { attempts: 2, status: "dead", dead_at: 60, claimed_until: null, last_error: "timeout" } },
      { id: d5!, set: { attempts: 1, status: "dead", dead_at: 70, claimed_until: null, last_error: "HTTP 413" } },
    ]);
    const left = await store.db.selectFrom("event_deliveries").select(["event_id", "status", "attempts", "next_attempt_at", "last_error"]).orderBy("id").execute();
    expect(left.map((r) => [r.event_id, r.status, Number(r.attempts), r.last_error])).toEqual([
      ["e-2", "pending", 1, "HTTP 503"],
      ["e-3", "dead", 1, "HTTP 400"],
      ["e-4", "dead", 2, "timeout"],
      ["e-5", "dead", 1, "HTTP 413"],
    ]);
    expect(Number(left[0]!.next_attempt_at)).toBe(10_000);
    expect(await repo.claimDue(9_999, 20_000, 10)).toEqual([]); // dead rows are never claimed; e-2 is not due yet
    expect(events(await repo.claimDue(10_000, 20_000, 10))).toEqual(["e-2"]);

    expect((await repo.listDead("r-1", 10)).map((r) => r.event_id)).toEqual(["e-4", "e-3"]);
    expect((await repo.listDead("r-1", 1)).map((r) => r.event_id)).toEqual(["e-4"]);
    expect((await repo.listDead("r-2", 10)).map((r) => [r.event_id, Number(r.dead_at)])).toEqual([["e-5", 70]]);
  });

  it("deleting a subscription of the resource deletes its queue and dead letters; another resource's id deletes nothing", async () => {
    const { store, repo, outbox } = await setup();
    await repo.insertSubscription(subscription("s-1", "r-1", 1));
    await repo.insertSubscription(subscription("s-2", "r-1", 2));
    await store.write((trx) => outbox.insertDeliveries(trx, [delivery("s-1", "r-1", 1), delivery("s-1", "r-1", 2), delivery("s-2", "r-1", 3)]));
    expect(await repo.deleteSubscription("r-2", "s-1")).toBe(0);
    expect(await repo.deleteSubscription("r-1", "s-1")).toBe(1);
    expect(await repo.deleteSubscription("r-1", "s-1")).toBe(0);
    expect(await repo.findSubscription("s-1")).toBeUndefined();
    expect((await store.db.selectFrom("event_deliveries").select("event_id").execute()).map((r) => r.event_id)).toEqual(["e-3"]);
  });
});

describe.each(backendNames)("ChatEventRepository on %s", (backend) => {
  it("reads a thread, its members (ordered for events; with history start for pushes) and a message, through any handle", async () => {
    tdb = await createTestDatabase(backend);
    const store = await tdb.open();
    const chat = new ChatRepository(store);
    const resource = await new ResourceRepository(store, () => 1).ensureDefault({ name: "dev" });
    const reads = new ChatEventRepository();
    const thread = chatThreadRow("19:t1@thread.v2", resource.id, { topic: "topic", createdAt: 100 });
    await store.write(async (trx) => {
      await chat.insertThread(trx, thread);
      await chat.insertParticipants(
        trx,
        thread.id,
        [
          { rawId: "8:acs:b", displayName: "Bea", shareHistoryTime: 50, metadata: '{"k":"v"}' },
          { rawId: "8:acs:a", displayName: null, shareHistoryTime: null, metadata: null },
        ],
        100,
      );
      const slot = (await chat.nextMessageSlot(trx, thread.id, 200))!;
      await chat.insertMessage(trx, thread.id, slot, { type: "text", content: "hi", systemContent: null, senderRawId: "8:acs:a", senderDisplayName: "A", metadata: null }, 200);
      // Inside the writing transaction the reads see the change.
      expect((await reads.findMessage(trx, thread.id, slot.messageId))?.content).toBe("hi");
      expect((await reads.getThread(trx, thread.id)).last_sequence_id).toBeTruthy();
    });
    expect(await reads.members(store.db, thread.id)).toEqual([
      { raw_id: "8:acs:a", display_name: null, metadata: null },
      { raw_id: "8:acs:b", display_name: "Bea", metadata: '{"k":"v"}' },
    ]);
    const recipients = (await reads.recipients(store.db, thread.id)).sort((x, y) => x.raw_id.localeCompare(y.raw_id));
    expect(recipients.map((r) => [r.raw_id, r.share_history_time === null ? null : Number(r.share_history_time)])).toEqual([
      ["8:acs:a", null],
      ["8:acs:b", 50],
    ]);
    expect((await reads.findThread(store.db, thread.id))?.topic).toBe("topic");
    expect(await reads.findThread(store.db, "19:none@thread.v2")).toBeUndefined();
    await expect(reads.getThread(store.db, "19:none@thread.v2")).rejects.toThrow();
    expect(await reads.findMessage(store.db, thread.id, 1)).toBeUndefined();
    expect(await reads.members(store.db, "19:none@thread.v2")).toEqual([]);
  });
});

describe.each(backendNames)("the SMS webhook targets and the replica heartbeats on %s", (backend) => {
  it("syncSmsWebhookTargets makes a resource's targets exactly the given URLs, dropping a removed one's queue, and touches no other resource", async () => {
    tdb = await createTestDatabase(backend);
    const store = await tdb.open();
    const resources = new ResourceRepository(store, () => 1);
    const a = await resources.ensureDefault({ name: "a" });
    const b = await resources.create("b", []);
    const repo = new EventsRepository(store);
    const outbox = new EventOutboxRepository();
    const targets = async (resourceId: string) => (await repo.listSubscriptions(resourceId)).map((s) => [s.id, s.endpoint, s.types, s.status]);

    await store.write((trx) => syncSmsWebhookTargets(trx, a.id, ["http://127.0.0.1:1/one", "http://127.0.0.1:1/two"], 5));
    await store.write((trx) => syncSmsWebhookTargets(trx, b.id, ["http://127.0.0.1:1/one"], 5));
    const one = smsWebhookTargetId(a.id, "http://127.0.0.1:1/one");
    const two = smsWebhookTargetId(a.id, "http://127.0.0.1:1/two");
    expect(isSmsWebhookTarget(one)).toBe(true);
    expect(one).not.toBe(smsWebhookTargetId(b.id, "http://127.0.0.1:1/one"));
    const types = JSON.stringify(["Microsoft.Communication.SMSDeliveryReportReceived"]);
    expect((await targets(a.id)).sort()).toEqual(
      [
        [one, "http://127.0.0.1:1/one", types, "active"],
        [two, "http://127.0.0.1:1/two", types, "active"],
      ].sort(),
    );
    await store.write((trx) => outbox.insertDeliveries(trx, [delivery(one, a.id, 1), delivery(two, a.id, 2)]));

    await store.write((trx) => syncSmsWebhookTargets(trx, a.id, ["http://127.0.0.1:1/two"], 6));
    await store.write((trx) => syncSmsWebhookTargets(trx, a.id, ["http://127.0.0.1:1/two"], 7));
    expect(await targets(a.id)).toEqual([[two, "http://127.0.0.1:1/two", types, "active"]]);
    const queued = await store.db.selectFrom("event_deliveries").select(["subscription_id", "event_id"]).execute();
    expect(queued).toEqual([{ subscription_id: two, event_id: "e-2" }]);
    expect((await targets(b.id)).length).toBe(1);
  });

  it("ReplicaRepository: a beat makes a replica live, silence past the timeout does not, forget removes the named and the long-silent ones", async () => {
    tdb = await createTestDatabase(backend);
    const store = await tdb.open();
    const replicas = new ReplicaRepository(store);
    await replicas.beat("r1");
    await replicas.beat("r1");
    await replicas.beat("r2");
    // A replica last seen at the epoch: silent for decades by the database's clock.
    await store.write((trx) => trx.insertInto("realtime_replicas").values({ replica: "dead", started_at: 0, seen_at: 0 }).execute());
    expect([...(await replicas.live(60_000))].sort()).toEqual(["r1", "r2"]);

    const left = async () => (await store.db.selectFrom("realtime_replicas").select("replica").execute()).map((r) => r.replica).sort();
    await replicas.forget(undefined, 3_600_000);
    expect(await left()).toEqual(["r1", "r2"]);
    await store.write((trx) => trx.insertInto("realtime_replicas").values({ replica: "dead", started_at: 0, seen_at: 0 }).execute());
    await replicas.forget("r1", 3_600_000);
    expect([...(await replicas.live(60_000))]).toEqual(["r2"]);
    expect(await left()).toEqual(["r2"]);
  });
});
