import { sql, type Kysely } from "kysely";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ResourceRepository } from "../../src/resources/resource-repository.js";
import { PrecompiledQuery } from "../../src/store/precompiled-query.js";
import type { Database } from "../../src/store/schema.js";
import type { Store } from "../../src/store/store.js";
import { createTestDatabase, type TestDatabase } from "./store-fixture.js";

const insertIdentity = new PrecompiledQuery(3, (_db, id: string, resourceId: string, createdAt: number) =>
  sql`insert into identities (id, resource_id, created_at, deleted_at, token_generation, revoked_at) values (${id}, ${resourceId}, ${createdAt}, null, 0, null)`,
);
const identityById = new PrecompiledQuery(1, (db, id: string) => db.selectFrom("identities").select(["id", "created_at"]).where("id", "=", id));
const touch = new PrecompiledQuery(2, (_db, createdAt: number, id: string) => sql`update identities set created_at = ${createdAt} where id = ${id}`);

let tdb: TestDatabase;
let store: Store;
let resourceId: string;
afterEach(async () => {
  await tdb.closeAll();
});
async function open(): Promise<void> {
  tdb = await createTestDatabase("sqlite");
  store = await tdb.open();
  resourceId = (await new ResourceRepository(store, () => 1).ensureDefault({ name: "dev" })).id;
}
const createdAt = async (id: string) => (await identityById.execute(store.db, id)).rows[0]?.created_at;

describe("precompiled statements in a SQLite group commit go straight to the writer's connection", () => {
  it("skip Kysely's executor and give the results its SQLite driver gives", async () => {
    await open();
    const results = await store.write(async (trx) => {
      const viaKysely = vi.spyOn(trx, "executeQuery");
      const inserted = await insertIdentity.execute(trx, "8:acs:direct-1", resourceId, 10);
      const read = await identityById.execute(trx, "8:acs:direct-1");
      const updated = await touch.execute(trx, 11, "8:acs:direct-1");
      const none = await touch.execute(trx, 12, "8:acs:nobody");
      return { calls: viaKysely.mock.calls.length, inserted, read, updated, none };
    });
    expect(results.calls).toBe(0);
    expect(results.inserted.numAffectedRows).toBe(1n);
    expect(typeof results.inserted.insertId).toBe("bigint");
    expect(results.inserted.rows).toEqual([]);
    // The transaction's own write is visible to its next statement.
    expect(results.read.rows).toEqual([{ id: "8:acs:direct-1", created_at: 10 }]);
    expect(results.updated.numAffectedRows).toBe(1n);
    expect(results.none.numAffectedRows).toBe(0n);
    // The same statements through Kysely (a read outside a write) agree, and the write committed.
    expect(await createdAt("8:acs:direct-1")).toBe(11);
  });

  it("a failing statement rejects with SQLite's error, and its savepoint undoes only its own write", async () => {
    await open();
    await store.write(async (trx) => void (await insertIdentity.execute(trx, "8:acs:taken", resourceId, 1)));
    const outcomes = await Promise.allSettled([
      store.write(async (trx) => void (await insertIdentity.execute(trx, "8:acs:a", resourceId, 2))),
      store.write(async (trx) => {
        await touch.execute(trx, 99, "8:acs:taken");
        await insertIdentity.execute(trx, "8:acs:taken", resourceId, 3); // primary key taken
      }),
      store.write(async (trx) => void (await insertIdentity.execute(trx, "8:acs:c", resourceId, 4))),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: "SQLITE_CONSTRAINT_PRIMARYKEY" });
    expect(await createdAt("8:acs:a")).toBe(2);
    expect(await createdAt("8:acs:c")).toBe(4);
    // The failed write's first statement was rolled back with it.
    expect(await createdAt("8:acs:taken")).toBe(1);
  });

  it("a transaction that has ended is not run on the connection any more", async () => {
    await open();
    let leaked: Kysely<Database> | undefined;
    await store.write(async (trx) => {
      leaked = trx;
      await insertIdentity.execute(trx, "8:acs:kept", resourceId, 5);
    });
    // Through Kysely, which refuses a committed transaction; run directly, it would have autocommitted the update.
    await expect(touch.execute(leaked!, 6, "8:acs:kept")).rejects.toThrow(/committed/);
    expect(await createdAt("8:acs:kept")).toBe(5);
  });
});
