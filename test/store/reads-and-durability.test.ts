import { afterEach, describe, expect, it } from "vitest";
import SQLite from "better-sqlite3";
import path from "node:path";
import { IdentityRepository } from "../../src/identity/identity-repository.js";
import { ResourceRepository } from "../../src/resources/resource-repository.js";
import { backendNames } from "../support/backends.js";
import { createTestDatabase, type TestDatabase } from "./store-fixture.js";

let tdb: TestDatabase;
afterEach(async () => {
  await tdb.closeAll();
});

describe.each(backendNames)("reads beside group-committed writes on %s", (backend) => {
  it("a read issued while a write batch is open answers from committed state, and sees the batch once it resolved", async () => {
    tdb = await createTestDatabase(backend);
    const store = await tdb.open();
    const resource = await new ResourceRepository(store, () => 1).ensureDefault({ name: "dev" });
    const repo = new IdentityRepository(store);
    await store.write((trx) => repo.insert(trx, "before", resource.id, 1));

    let readDuringBatch: Promise<unknown> | undefined;
    const batch = Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.write(async (trx) => {
          await repo.insert(trx, `w-${i}`, resource.id, 2);
          // Issued from inside the open transaction: it must neither wait for the batch nor see its rows.
          if (i === 0) readDuringBatch = repo.find("w-0");
        }),
      ),
    );
    await batch;
    const seenDuringBatch = await readDuringBatch;
    if (backend === "sqlite") expect(seenDuringBatch).toBeUndefined();
    expect((await repo.find("before"))?.resourceId).toBe(resource.id);
    for (let i = 0; i < 20; i++) expect((await repo.find(`w-${i}`))?.createdAt).toBe(2);
  });

  it("statements that write through store.db still reach the database", async () => {
    tdb = await createTestDatabase(backend);
    const store = await tdb.open();
    const resource = await new ResourceRepository(store, () => 1).ensureDefault({ name: "dev" });
    await new IdentityRepository(store).insert(store.db, "direct", resource.id, 3);
    const other = await tdb.open();
    expect((await new IdentityRepository(other).find("direct"))?.createdAt).toBe(3);
  });
});

describe("SQLite group commit with synchronous=FULL", () => {
  it("every write of a batch is acknowledged, and another connection reads them all", async () => {
    tdb = await createTestDatabase("sqlite");
    expect(tdb.config.sqlite.synchronous).toBe("FULL");
    const store = await tdb.open();
    const resource = await new ResourceRepository(store, () => 1).ensureDefault({ name: "dev" });
    const repo = new IdentityRepository(store);
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.write((trx) => repo.insert(trx, `d-${i}`, resource.id, 4))));
    const raw = new SQLite(path.join(tdb.config.dataDir, "switchboard.db"), { readonly: true });
    try {
      expect(raw.prepare("select count(*) as n from identities where id like 'd-%'").get()).toEqual({ n: 50 });
    } finally {
      raw.close();
    }
  });
});
