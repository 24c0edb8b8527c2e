import { existsSync } from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { bucketOf } from "../../src/activity/activity-bucket.js";
import { ActivityRepository } from "../../src/activity/activity-repository.js";
import { ActivityRows, type ActivityRow } from "../../src/activity/activity-rows.js";
import { ACTIVITY_FILE, openActivityStorage, type ActivityStorage } from "../../src/activity/activity-storage.js";
import type { Store } from "../../src/store/store.js";
import { backendNames } from "../support/backends.js";
import { createTestDatabase, type TestDatabase } from "../store/store-fixture.js";

const who = (n: number) => `8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-00000000000${n}`;

function row(n: number, identity = who(n)): ActivityRow {
  return {
    identity,
    bucket: bucketOf(identity),
    event_id: `event-${n}`,
    time: 1_000 + n,
    resource_id: "r",
    operation: "identity.createUser",
    status: 201,
    error_code: null,
    principal: "access-key:primary",
    subjects: JSON.stringify([identity]),
    fields: null,
  };
}

const storeRowCount = async (store: Store) =>
  Number((await store.db.selectFrom("activity_events").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);

describe("where the activity record is kept", () => {
  let database: TestDatabase | undefined;
  const storages: ActivityStorage[] = [];
  afterEach(async () => {
    await Promise.all(storages.splice(0).map((s) => s.close()));
    await database?.closeAll();
    database = undefined;
  });
  const openStorage = async (store: Store) => {
    const storage = await openActivityStorage(database!.config, store);
    storages.push(storage);
    return storage;
  };

  it("a SQLite data directory keeps it in its own file, written off the request thread, not in switchboard.db", async () => {
    database = await createTestDatabase("sqlite");
    const store = await database.open();
    const storage = await openStorage(store);
    const repository = new ActivityRepository(storage);
    await repository.append(ActivityRows.of([row(1), row(2), row(1, who(2))]));

    expect(await storeRowCount(store)).toBe(0);
    // Its writer keeps to the configured page cache (sqlite.activityCacheSizeKib), not better-sqlite3's 16 MB.
    expect(await storage.writerPragma?.("cache_size")).toBe(-database.config.sqlite.activityCacheSizeKib);
    const file = new SQLite(path.join(database.config.dataDir, ACTIVITY_FILE), { readonly: true });
    try {
      expect(file.prepare("select identity from activity_events order by id").pluck().all()).toEqual([who(1), who(2), who(2)]);
    } finally {
      file.close();
    }
    expect((await repository.query({ identity: who(2), limit: 10 })).events.map((e) => e.id)).toEqual(["event-2", "event-1"]); // newest first
    expect(await repository.purge(who(2))).toBe(2);
    expect(await repository.count()).toBe(1);
  });

  it("moves events an older version kept in switchboard.db into the file once, ids and order kept, even after a half-done move", async () => {
    database = await createTestDatabase("sqlite");
    const store = await database.open();
    const legacy = (ids: number[]) =>
      store.write((trx) => trx.insertInto("activity_events").values(ids.map((id) => ({ id, ...row(id) }))).execute());
    await legacy([1, 2, 3]);

    const first = await openStorage(store);
    expect(await storeRowCount(store)).toBe(0);
    const repository = new ActivityRepository(first);
    expect(await repository.count()).toBe(3);
    await first.close();
    storages.splice(storages.indexOf(first), 1);

    // A move that copied rows 2 and 3 but died before deleting them from switchboard.db, with row 4 new there.
    await legacy([2, 3, 4]);
    const again = new ActivityRepository(await openStorage(store));
    expect(await storeRowCount(store)).toBe(0);
    expect(await again.count()).toBe(4);
    const events = (await again.query({ identity: who(2), limit: 10 })).events;
    expect(events.map((e) => e.id)).toEqual(["event-2"]);
    for (const n of [1, 3, 4]) expect((await again.query({ identity: who(n), limit: 10 })).events.map((e) => e.id)).toEqual([`event-${n}`]);
  });

  it.each(backendNames)("an in-memory or PostgreSQL store keeps it in the store (%s)", async (backend) => {
    database = await createTestDatabase(backend, backend === "sqlite" ? { inMemory: true } : {});
    const store = await database.open();
    const repository = new ActivityRepository(await openStorage(store));
    await repository.append(ActivityRows.of([row(1), row(2)]));
    expect(await storeRowCount(store)).toBe(2);
    expect(existsSync(path.join(database.config.dataDir, ACTIVITY_FILE))).toBe(false);
    expect(await repository.purge(who(1))).toBe(1);
    expect(await storeRowCount(store)).toBe(1);
  });
});
