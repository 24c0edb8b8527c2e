import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openCore, type Core } from "../../src/app.js";
import { loadConfig, type ConfigInput } from "../../src/config/config.js";
import { createFixedClock } from "../../src/util/clock.js";
import { backendConfig, backendNames } from "../support/backends.js";

const DAY = 86_400_000;
/** The resource the identities belong to: events are filed only under identities of their own resource. */
const RESOURCE_ID = "00000000-0000-0000-0000-000000000000";
const identity = (n: number) => `8:acs:${RESOURCE_ID}_00000000-0000-0000-0000-00000000000${n}`;

describe.each(backendNames)("activity retention, purge and the Core API (%s)", (backend) => {
  let core: Core | undefined;
  const clock = createFixedClock(Date.parse("2031-01-01T00:00:00Z"));

  async function open(activity: ConfigInput["activity"]): Promise<Core> {
    const dataDir = mkdtempSync(path.join(tmpdir(), "switchboard-retention-"));
    core = await openCore(loadConfig({ overrides: { dataDir, log: { level: "silent" }, resource: { id: RESOURCE_ID }, activity, ...(await backendConfig(backend)) } }), { clock });
    return core;
  }
  const record = (c: Core, who: number, operation: string) =>
    c.activity.record({ operation, resourceId: c.defaultResource.id, principal: identity(who), fields: { n: operation } });
  const operationsOf = async (c: Core, who: number) =>
    (await c.activityRepository.query({ identity: identity(who), limit: 100 })).events.map((e) => e.operation);

  afterEach(async () => {
    await core?.close();
    core = undefined;
  });

  it("removes events older than maxAgeDays in the background, oldest first, and keeps the rest", async () => {
    const c = await open({ retention: { maxAgeDays: 2, intervalSeconds: 0.05 } });
    clock.set(Date.parse("2031-01-01T00:00:00Z"));
    record(c, 1, "old.one");
    clock.advance(DAY);
    record(c, 1, "old.two");
    clock.advance(DAY);
    record(c, 2, "new.one");
    await c.activity.flush();
    expect(await c.activityRepository.count()).toBe(3);

    // Now = 2031-01-04T00:00:00.001: the events of Jan 1 and Jan 2 are more than 2 days old, the one of Jan 3 is not.
    clock.advance(DAY + 1);
    c.activityRetention.start();
    // The pass waits on the injected clock: nothing goes until intervalSeconds of its time have passed.
    await new Promise((r) => setTimeout(r, 50));
    expect(await c.activityRepository.count()).toBe(3);
    clock.advance(50);
    const deadline = Date.now() + 10_000;
    while ((await c.activityRepository.count()) > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await operationsOf(c, 1)).toEqual([]);
    expect(await operationsOf(c, 2)).toEqual(["new.one"]);
  });

  it("keeps at most maxRows, dropping the oldest", async () => {
    const c = await open({ retention: { maxRows: 3 } });
    for (let i = 1; i <= 5; i++) {
      clock.advance(1_000);
      record(c, i % 2, `op.e${i}`);
    }
    await c.activity.flush();
    expect(await c.activityRetention.enforce()).toEqual({ expired: 0, trimmed: 2 });
    expect(await operationsOf(c, 1)).toEqual(["op.e5", "op.e3"]);
    expect(await operationsOf(c, 0)).toEqual(["op.e4"]);
  });

  it("appends batches of any size in order (chunked INSERTs of 128/32/8/1 rows)", async () => {
    const c = await open({ batchSize: 1_000, flushIntervalMs: 60_000 });
    for (let i = 0; i < 301; i++) {
      clock.advance(1);
      record(c, i % 2, `op.n${i}`);
    }
    await c.activity.flush();
    expect(c.activity.stats.written).toBe(301);
    const evens = (await c.activityRepository.query({ identity: identity(0), limit: 1_000 })).events;
    expect(evens.map((e) => e.operation)).toEqual(Array.from({ length: 151 }, (_, k) => `op.n${300 - 2 * k}`));
    expect(evens[0]!.fields).toEqual({ n: "op.n300" });
    expect(await c.activityRepository.count()).toBe(301);
  });

  it("purge removes one identity's rows and nothing else; a shared event stays filed under the other identity", async () => {
    const c = await open({});
    c.activity.record({ operation: "chat.addParticipants", resourceId: c.defaultResource.id, principal: identity(1), subjects: [identity(2)], fields: { threadId: "19:t@thread.v2" } });
    record(c, 1, "chat.sendMessage");
    record(c, 2, "chat.sendMessage");
    record(c, 3, "chat.sendMessage");
    await c.activity.flush();
    expect(await c.activityRepository.purge(identity(1))).toBe(2);
    expect(await operationsOf(c, 1)).toEqual([]);
    expect(await operationsOf(c, 2)).toEqual(["chat.sendMessage", "chat.addParticipants"]);
    expect(await operationsOf(c, 3)).toEqual(["chat.sendMessage"]);
  });

  it("core.activity.record takes non-HTTP events (call events), drops secret-looking fields, and flushes on close", async () => {
    const c = await open({ flushIntervalMs: 60_000 });
    c.activity.record({
      operation: "calling.callStarted",
      resourceId: c.defaultResource.id,
      principal: identity(1),
      subjects: [identity(2)],
      fields: { callId: "call-1", token: "eyJsecret", message: "hello there", body: "x" },
    });
    expect(c.activity.stats.queued).toBe(2);
    await c.close();
    core = undefined;
    // Reopen the same store: the rows were written by close().
    const again = await openCore(c.config, { clock });
    core = again;
    const [event] = (await again.activityRepository.query({ identity: identity(2), limit: 10 })).events;
    expect(event).toMatchObject({ operation: "calling.callStarted", principal: identity(1), subjects: [identity(2)], outcome: "succeeded", fields: { callId: "call-1" } });
    expect(event!.status).toBeUndefined();
    expect(Object.keys(event!.fields!)).toEqual(["callId"]);
  });
});
