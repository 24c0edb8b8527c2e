import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { IDENTITY_CHANGED, IdentityRepository } from "../../src/identity/identity-repository.js";
import { ResourceRepository } from "../../src/resources/resource-repository.js";
import { ChangeFeed, FEED_RESET } from "../../src/store/change-feed.js";
import type { Change, Store } from "../../src/store/store.js";
import { backendNames, testDatabaseUrl } from "../support/backends.js";
import { createTestDatabase, eventually, type TestDatabase } from "./store-fixture.js";

let tdb: TestDatabase;
const feeds: ChangeFeed[] = [];
afterEach(async () => {
  for (const f of feeds.splice(0)) f.stop();
  await tdb.closeAll();
});

function startFeed(store: Store, pollMs: number, now: () => number = Date.now): { feed: ChangeFeed; received: Change[]; ready: Promise<void> } {
  const feed = new ChangeFeed(store, { pollMs, now });
  feeds.push(feed);
  const received: Change[] = [];
  feed.subscribe((c) => received.push(...c));
  return { feed, received, ready: feed.start() };
}

const change = (subject: string): Change => ({ topic: "test", resourceId: "r", subject });

/**
 * A store whose reads fail while `down` is set, as during a database outage (the feed reads through `store.db`).
 */
function flaky(store: Store): { store: Store; setDown(down: boolean): void } {
  let down = false;
  const bound = (target: object, prop: string | symbol): unknown => {
    const value = Reflect.get(target, prop, target) as unknown;
    return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  };
  const failingDb = new Proxy(store.db, {
    get(target, prop) {
      if (down && (prop === "selectFrom" || prop === "transaction")) {
        return () => {
          throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
        };
      }
      return bound(target, prop);
    },
  });
  const wrapped = new Proxy(store, {
    get(target, prop) {
      if (prop === "db") return failingDb;
      if (prop === "write" && down) return () => Promise.reject(Object.assign(new Error("down"), { code: "ECONNREFUSED" }));
      return bound(target, prop);
    },
  });
  return { store: wrapped, setDown: (d) => (down = d) };
}

describe.each(backendNames)("change feed on %s", (backend) => {
  it("delivers a process's own changes at once and other processes' by polling, each once", async () => {
    tdb = await createTestDatabase(backend);
    const [a, b] = [await tdb.open(), await tdb.open()];
    const fa = startFeed(a, 50);
    const fb = startFeed(b, 50);
    await Promise.all([fa.ready, fb.ready]);
    await a.write(async (_trx, ctx) => {
      ctx.emit(change("one"));
      ctx.emit(change("two"));
    });
    expect(fa.received).toEqual([change("one"), change("two")]);
    expect(await eventually(() => fb.received.length >= 2)).toBe(true);
    expect(fb.received).toEqual([change("one"), change("two")]);
    // Each feed also reads the rows back from the table, but never delivers them twice.
    await fa.feed.poll();
    await fb.feed.poll();
    expect(fa.received).toHaveLength(2);
    expect(fb.received).toHaveLength(2);
  });

  it("does not deliver changes of a write that failed", async () => {
    tdb = await createTestDatabase(backend);
    const [a, b] = [await tdb.open(), await tdb.open()];
    const fa = startFeed(a, 50);
    const fb = startFeed(b, 50);
    await Promise.all([fa.ready, fb.ready]);
    await expect(
      a.write(async (_trx, ctx) => {
        ctx.emit(change("lost"));
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    await a.write(async (_trx, ctx) => ctx.emit(change("kept")));
    expect(await eventually(() => fb.received.length >= 1)).toBe(true);
    await fb.feed.poll();
    expect(fa.received).toEqual([change("kept")]);
    expect(fb.received).toEqual([change("kept")]);
  });

  it("after failed polls, catches up on everything committed meanwhile", async () => {
    tdb = await createTestDatabase(backend);
    const [a, b] = [await tdb.open(), await tdb.open()];
    const repo = new IdentityRepository(a);
    const resource = await new ResourceRepository(a, () => 1).ensureDefault({ name: "dev" });
    const f = flaky(b);
    const fb = startFeed(f.store, 30);
    await fb.ready;
    f.setDown(true);
    await fb.feed.poll();
    expect(fb.feed.isHealthy).toBe(false);
    for (const id of ["x1", "x2", "x3"]) await a.write((trx) => repo.insert(trx, id, resource.id, 1));
    for (const id of ["x1", "x2", "x3"]) await a.write((trx, ctx) => repo.revoke(trx, ctx, id, resource.id, 2));
    await new Promise((r) => setTimeout(r, 100));
    expect(fb.received).toEqual([]);
    f.setDown(false);
    expect(await eventually(() => fb.received.length >= 3)).toBe(true);
    expect(fb.feed.isHealthy).toBe(true);
    expect(fb.received.map((c) => [c.topic, c.subject])).toEqual([
      [IDENTITY_CHANGED, "x1"],
      [IDENTITY_CHANGED, "x2"],
      [IDENTITY_CHANGED, "x3"],
    ]);
  });

  it("tells listeners to drop everything after being blind longer than events are kept", async () => {
    tdb = await createTestDatabase(backend);
    const b = await tdb.open();
    let now = 1_000_000;
    const f = flaky(b);
    const fb = startFeed(f.store, 30, () => now);
    await fb.ready;
    f.setDown(true);
    now += 11 * 60_000;
    await fb.feed.poll();
    expect(fb.received).toEqual([]);
    f.setDown(false);
    await fb.feed.poll();
    expect(fb.received).toEqual([{ topic: FEED_RESET }]);
    await fb.feed.poll();
    expect(fb.received).toEqual([{ topic: FEED_RESET }]);
  });

  it("prunes events older than ten minutes", async () => {
    tdb = await createTestDatabase(backend);
    let now = 50_000_000;
    const a = await tdb.open({ now: () => now });
    await a.write(async (_trx, ctx) => ctx.emit(change("old")));
    now += 10 * 60_000 + 1;
    await a.write(async (_trx, ctx) => ctx.emit(change("new")));
    const fa = startFeed(a, 5_000, () => now);
    await fa.ready;
    await fa.feed.poll();
    const rows = await a.db.selectFrom("change_events").select("subject").execute();
    expect(rows).toEqual([{ subject: "new" }]);
  });
});

describe.each(backendNames.filter((b) => b === "postgres"))("LISTEN/NOTIFY on %s", (backend) => {
  it("delivers another process's change long before the fallback poll would", async () => {
    tdb = await createTestDatabase(backend);
    const [a, b] = [await tdb.open(), await tdb.open()];
    const fb = startFeed(b, 5_000);
    await fb.ready;
    expect(await eventually(() => fb.feed.notificationListener?.connected === true)).toBe(true);
    const t0 = Date.now();
    await a.write(async (_trx, ctx) => ctx.emit(change("notified")));
    expect(await eventually(() => fb.received.length > 0, 2_000, 2)).toBe(true);
    const delay = Date.now() - t0;
    console.log(`[store] NOTIFY → feed delivery: ${delay} ms (fallback poll every 5000 ms)`);
    expect(fb.received).toEqual([change("notified")]);
  });

  it("reconnects a killed listener connection; the fallback poll covers the gap", async () => {
    tdb = await createTestDatabase(backend);
    const [a, b] = [await tdb.open(), await tdb.open()];
    const fb = startFeed(b, 100);
    await fb.ready;
    expect(await eventually(() => fb.feed.notificationListener?.connected === true)).toBe(true);
    const pid = fb.feed.notificationListener!.backendPid!;
    const admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
    try {
      const killed = await admin.query("select pg_terminate_backend($1) as ok", [pid]);
      expect(killed.rows[0].ok).toBe(true);
    } finally {
      await admin.end();
    }
    expect(await eventually(() => fb.feed.notificationListener?.connected === false, 2_000, 2)).toBe(true);
    // While it is down, the poll still delivers.
    await a.write(async (_trx, ctx) => ctx.emit(change("while-down")));
    expect(await eventually(() => fb.received.length === 1)).toBe(true);
    // It comes back (new server process) and notifications flow again.
    expect(await eventually(() => fb.feed.notificationListener?.connected === true, 5_000)).toBe(true);
    expect(fb.feed.notificationListener!.backendPid).not.toBe(pid);
    fb.feed.stop();
    const fresh = startFeed(b, 5_000);
    await fresh.ready;
    expect(await eventually(() => fresh.feed.notificationListener?.connected === true)).toBe(true);
    await a.write(async (_trx, ctx) => ctx.emit(change("after")));
    expect(await eventually(() => fresh.received.some((c) => c.subject === "after"), 2_000)).toBe(true);
  });
});
