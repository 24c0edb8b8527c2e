import { describe, expect, it } from "vitest";
import { sanitizeFields } from "../../src/activity/activity-event.js";
import { ActivityRecorder } from "../../src/activity/activity-recorder.js";
import type { ActivityRepository } from "../../src/activity/activity-repository.js";
import type { ActivityRow, ActivityRows } from "../../src/activity/activity-rows.js";
import { createFixedClock } from "../../src/util/clock.js";

/** Events are filed only under identities of the event's own resource (SECURITY.md), so the ids are real-shaped. */
const R = "00000000-0000-4000-8000-0000000000aa";
const who = (n: number) => `8:acs:${R}_${n}`;

function fakeRepository(behaviour: (rows: ActivityRows) => Promise<void>) {
  const batches: ActivityRow[][] = [];
  const repository = {
    append: async (rows: ActivityRows) => {
      await behaviour(rows);
      batches.push(rows.toArray());
    },
  } as unknown as ActivityRepository;
  return { repository, batches };
}

describe("activity recorder (queue, batches, drops)", () => {
  const clock = createFixedClock(1_000);
  const options = { enabled: true, queueLimit: 3, batchSize: 2, flushIntervalMs: 60_000 };

  it("drops and counts past the queue limit, never throwing or blocking", async () => {
    const { repository, batches } = fakeRepository(async () => {});
    const recorder = new ActivityRecorder(repository, clock, options);
    for (let i = 0; i < 5; i++) recorder.record({ operation: "x.y", resourceId: R, principal: who(i) });
    expect(recorder.stats).toEqual({ written: 0, dropped: { queue_full: 2, write_failed: 0 }, queued: 3 });
    await recorder.flush();
    expect(batches.map((b) => b.map((r) => r.identity))).toEqual([[who(0), who(1)], [who(2)]]);
    expect(recorder.stats).toEqual({ written: 3, dropped: { queue_full: 2, write_failed: 0 }, queued: 0 });
  });

  it("counts a failed write as dropped and carries on", async () => {
    let fail = true;
    const errors: unknown[] = [];
    const { repository, batches } = fakeRepository(async () => {
      if (fail) throw new Error("database is down");
    });
    const recorder = new ActivityRecorder(repository, clock, { ...options, onError: (e) => errors.push(e) });
    recorder.record({ operation: "x.y", resourceId: R, principal: who(1), subjects: [who(2)] });
    await recorder.flush();
    expect(recorder.stats.dropped.write_failed).toBe(2);
    expect(errors).toHaveLength(1);
    fail = false;
    recorder.record({ operation: "x.y", resourceId: R, principal: who(3) });
    await recorder.flush();
    expect(batches).toHaveLength(1);
    expect(recorder.stats.written).toBe(1);
  });

  it("writes nothing for events without an identity, or when disabled, or after close", async () => {
    const { repository, batches } = fakeRepository(async () => {});
    const off = new ActivityRecorder(repository, clock, { ...options, enabled: false });
    const seen: string[] = [];
    off.observe((ids) => seen.push(...ids));
    off.record({ operation: "x.y", resourceId: R, principal: who(1) });
    await off.flush();
    expect(seen).toEqual([who(1)]);

    const on = new ActivityRecorder(repository, clock, options);
    on.record({ operation: "x.y", resourceId: R, principal: "key:primary" });
    on.record({ operation: "x.y", resourceId: R, principal: { kind: "access-key", resourceId: R, keyName: "primary", keyId: "k" } });
    await on.close();
    on.record({ operation: "x.y", resourceId: R, principal: who(1) });
    await on.flush();
    expect(batches).toEqual([]);
    expect(on.stats.dropped.queue_full).toBe(1);
  });

  it("starts a write at once when a batch is full, without waiting for the interval", async () => {
    const { repository, batches } = fakeRepository(async () => {});
    const recorder = new ActivityRecorder(repository, clock, { ...options, queueLimit: 100 });
    recorder.record({ operation: "x.y", resourceId: R, principal: who(1), subjects: [who(2)] });
    const deadline = Date.now() + 5_000;
    while (batches.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(batches).toHaveLength(1);
  });
});

describe("sanitizeFields", () => {
  it("drops secret- or content-named fields in any case, cuts long values, keeps the rest as is", () => {
    const long = "x".repeat(300);
    const out = sanitizeFields({
      Token: "eyJ…",
      accessKey: "k",
      Message: "hello",
      body: "b",
      messageId: "m1",
      scopes: ["chat", "voip"],
      many: Array.from({ length: 60 }, (_, i) => `s${i}`),
      long,
      count: 3,
      ok: true,
    });
    expect(out).toEqual({
      messageId: "m1",
      scopes: ["chat", "voip"],
      many: Array.from({ length: 50 }, (_, i) => `s${i}`),
      long: "x".repeat(256),
      count: 3,
      ok: true,
    });
    expect(sanitizeFields({ token: "t" })).toBeUndefined();
  });
});

describe("call events", () => {
  it("become calling.<type> events filed under the participant, with callId, reason and duration", async () => {
    const { callActivity } = await import("../../src/activity/call-activity.js");
    expect(callActivity({ type: "left", callId: "c1", resourceId: R, identity: who(1), at: 5_000, reason: "hangUp", durationMs: 1234 })).toEqual({
      operation: "calling.left",
      resourceId: R,
      subjects: [who(1)],
      fields: { callId: "c1", reason: "hangUp", durationMs: 1234 },
      time: 5_000,
    });
  });
});
