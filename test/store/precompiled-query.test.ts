import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { IdentityRepository } from "../../src/identity/identity-repository.js";
import { ResourceRepository } from "../../src/resources/resource-repository.js";
import { PrecompiledQuery } from "../../src/store/precompiled-query.js";
import { backendNames } from "../support/backends.js";
import { createTestDatabase, type TestDatabase } from "./store-fixture.js";

let tdb: TestDatabase;
afterEach(async () => {
  await tdb.closeAll();
});

describe.each(backendNames)("PrecompiledQuery on %s", (backend) => {
  it("builds once per database connection and binds each call's values, repeated ones too, inside and outside a transaction", async () => {
    tdb = await createTestDatabase(backend);
    const store = await tdb.open();
    const resource = await new ResourceRepository(store, () => 1).ensureDefault({ name: "dev" });
    const identities = new IdentityRepository(store);
    await store.write(async (trx) => {
      await identities.insert(trx, "8:acs:a", resource.id, 10);
      await identities.insert(trx, "8:acs:b", resource.id, 20);
    });
    let builds = 0;
    const byIdAndCreated = new PrecompiledQuery(2, (db, id: string, createdAt: number) => {
      builds++;
      return db.selectFrom("identities").select(["id", "created_at"]).where("id", "=", id).where("created_at", "=", createdAt).where("resource_id", "=", resource.id);
    });
    expect((await byIdAndCreated.execute(store.db, "8:acs:a", 10)).rows.map((r) => r.id)).toEqual(["8:acs:a"]);
    expect((await byIdAndCreated.execute(store.db, "8:acs:b", 20)).rows.map((r) => r.id)).toEqual(["8:acs:b"]);
    expect((await byIdAndCreated.execute(store.db, "8:acs:b", 10)).rows).toEqual([]);
    // A transaction of the same database shares the compiled query.
    const inTrx = await store.write(async (trx) => (await byIdAndCreated.execute(trx, "8:acs:a", 10)).rows.length);
    expect(inTrx).toBe(1);
    // Built once for the store's reads and at most once more for its writer (SQLite keeps two connections): not per call.
    expect(builds).toBeLessThanOrEqual(2);
    const built = builds;
    expect((await byIdAndCreated.execute(store.db, "8:acs:b", 20)).rows).toHaveLength(1);
    expect(await store.write(async (trx) => (await byIdAndCreated.execute(trx, "8:acs:b", 20)).rows.length)).toBe(1);
    expect(builds).toBe(built);

    // A value used twice in a `sql` template is bound at both places.
    const twice = new PrecompiledQuery(1, (_db, id: string) => sql<{ n: number }>`select count(*) as n from identities where id = ${id} or id = ${id}`);
    expect(Number((await twice.execute(store.db, "8:acs:b")).rows[0]!.n)).toBe(1);
    expect(Number((await twice.execute(store.db, "8:acs:none")).rows[0]!.n)).toBe(0);
  });

  it("refuses a value that does not reach the query as a bound parameter", async () => {
    tdb = await createTestDatabase(backend);
    const store = await tdb.open();
    const asText = new PrecompiledQuery(1, (_db, id: string) => sql`select ${sql.lit(id)} as x`);
    await expect(asText.execute(store.db, "x")).rejects.toThrow(/bound parameter/);
    const unused = new PrecompiledQuery(1, (db, _id: string) => db.selectFrom("identities").select("id"));
    await expect(unused.execute(store.db, "x")).rejects.toThrow(/bound parameter/);
  });
});
