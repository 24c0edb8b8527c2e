import { sql, type Transaction } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { IdentityRepository } from "../../src/identity/identity-repository.js";
import { ResourceRepository } from "../../src/resources/resource-repository.js";
import type { Database } from "../../src/store/schema.js";
import type { Change, Store } from "../../src/store/store.js";
import { backendNames } from "../support/backends.js";
import { createTestDatabase, type TestDatabase } from "./store-fixture.js";

let tdb: TestDatabase;
afterEach(async () => {
  await tdb.closeAll();
});

/** The id of the transaction a write runs in. */
const txid = async (trx: Transaction<Database>): Promise<string> => (await sql<{ id: string }>`select txid_current()::text as id`.execute(trx)).rows[0]!.id;

describe.each(backendNames.filter((b) => b === "postgres"))("group commit on %s", (backend) => {
  async function setup(overrides: Record<string, unknown> = {}) {
    tdb = await createTestDatabase(backend, overrides);
    const store = await tdb.open();
    const other = await tdb.open();
    const resource = await new ResourceRepository(store, () => 1).ensureDefault({ name: "dev" });
    return { store, other, resource, repo: new IdentityRepository(store) };
  }

  const committedIds = async (other: Store): Promise<string[]> =>
    (await other.db.selectFrom("identities").select("id").orderBy("id").execute()).map((r) => r.id);

  it("writes queued in one turn share one transaction, and each gets its own value", async () => {
    const { store, other, resource, repo } = await setup();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        store.write(async (trx) => {
          await repo.insert(trx, `g-${i}`, resource.id, i);
          return { i, tx: await txid(trx) };
        }),
      ),
    );
    expect(results.map((r) => r.i)).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(results.map((r) => r.tx)).size).toBe(1);
    expect(await committedIds(other)).toEqual(["g-0", "g-1", "g-2", "g-3", "g-4"]);
  });

  it("a failed statement in a group fails only its own write; the others commit, each alone after the group rolled back", async () => {
    const { store, other, resource, repo } = await setup();
    const local: Change[] = [];
    store.onLocalChanges((c) => local.push(...c));
    const runs = new Map<string, number>();
    const counted = (name: string): void => void runs.set(name, (runs.get(name) ?? 0) + 1);
    const results = await Promise.allSettled([
      store.write(async (trx, ctx) => {
        counted("a");
        await repo.insert(trx, "a", resource.id, 1);
        ctx.emit({ topic: "t", subject: "a" });
        return "a";
      }),
      store.write(async (trx, ctx) => {
        counted("dup");
        await repo.insert(trx, "dup", resource.id, 1);
        ctx.emit({ topic: "t", subject: "dup" });
        await repo.insert(trx, "dup", resource.id, 1);
      }),
      store.write(async (trx, ctx) => {
        counted("b");
        await repo.insert(trx, "b", resource.id, 1);
        ctx.emit({ topic: "t", subject: "b" });
        return "b";
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: "23505" });
    expect(results.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<string>).value)).toEqual(["a", "b"]);
    expect(await committedIds(other)).toEqual(["a", "b"]);
    const events = (await other.db.selectFrom("change_events").select("subject").where("topic", "=", "t").execute()).map((r) => r.subject);
    expect(events.sort()).toEqual(["a", "b"]);
    expect(local.map((c) => c.subject).sort()).toEqual(["a", "b"]);
    // The group ran up to the failure and was rolled back (b had not run yet); then each write ran alone.
    expect(Object.fromEntries(runs)).toEqual({ a: 2, dup: 2, b: 1 });
  });

  it("a write that catches its own failed statement does not take its group down with it", async () => {
    const { store, other, resource, repo } = await setup();
    const results = await Promise.allSettled([
      store.write((trx) => repo.insert(trx, "first", resource.id, 1)),
      store.write(async (trx) => {
        await repo.insert(trx, "swallowed", resource.id, 1);
        // PostgreSQL aborts the transaction here; catching the error does not undo that, and COMMIT becomes ROLLBACK.
        await repo.insert(trx, "swallowed", resource.id, 1).catch(() => undefined);
      }),
      store.write((trx) => repo.insert(trx, "last", resource.id, 1)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ name: "AbortedTransactionError" });
    expect(await committedIds(other)).toEqual(["first", "last"]);
  });

  it("store.insert: the rows of one turn are written together; a row that fails fails only its own insert", async () => {
    const { store, other, resource, repo } = await setup();
    const row = (id: string) => ({ id, resource_id: resource.id, created_at: 1, deleted_at: null, token_generation: 0, revoked_at: null });
    // Beside them, a write in the same group sees the rows inserted before it runs (same transaction).
    const [, , seen] = await Promise.all([
      store.insert("identities", row("r-1")),
      store.insert("identities", row("r-2")),
      store.write(async (trx) => (await trx.selectFrom("identities").select("id").where("id", "like", "r-%").orderBy("id").execute()).map((r) => r.id)),
    ]);
    expect(seen).toEqual(["r-1", "r-2"]);
    await repo.insert(other.db, "taken", resource.id, 1);
    const results = await Promise.allSettled([
      store.insert("identities", row("r-3")),
      store.insert("identities", row("taken")),
      store.insert("identities", row("r-4")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: "23505" });
    expect(await committedIds(other)).toEqual(["r-1", "r-2", "r-3", "r-4", "taken"]);
  });

  it("resolves a grouped write only once it is visible to another connection", async () => {
    const { store, other, resource, repo } = await setup();
    const seen = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        store
          .write((trx) => repo.insert(trx, `v-${String(i).padStart(2, "0")}`, resource.id, i))
          .then(async () => (await other.db.selectFrom("identities").select("id").where("id", "=", `v-${String(i).padStart(2, "0")}`).executeTakeFirst())?.id),
      ),
    );
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `v-${String(i).padStart(2, "0")}`));
  });

  it("with postgres.groupCommit off, every write has a transaction of its own", async () => {
    const { store, resource, repo } = await setup({ postgres: { groupCommit: false } });
    const txs = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        store.write(async (trx) => {
          await repo.insert(trx, `s-${i}`, resource.id, i);
          return txid(trx);
        }),
      ),
    );
    expect(new Set(txs).size).toBe(4);
  });

  it.each([true, false])("postgres.preparedStatements %s: parameterized statements are named prepared statements, or not", async (prepared) => {
    const { store, resource, repo } = await setup({ postgres: { preparedStatements: prepared } });
    const names = await store.write(async (trx) => {
      await repo.insert(trx, "p-1", resource.id, 1);
      // The connection this write runs on: the insert above, if named, is now one of its prepared statements.
      return (await sql<{ name: string }>`select name from pg_prepared_statements where statement like 'insert into "identities"%'`.execute(trx)).rows.map(
        (r) => r.name,
      );
    });
    expect(names.length).toBe(prepared ? 1 : 0);
    expect(await repo.find("p-1")).toMatchObject({ id: "p-1" });
  });

  it("close() waits for the writes already queued", async () => {
    const { store, other, resource, repo } = await setup();
    const writes = Array.from({ length: 3 }, (_, i) => store.write((trx) => repo.insert(trx, `c-${i}`, resource.id, i)));
    await store.close();
    await Promise.all(writes);
    expect(await committedIds(other)).toEqual(["c-0", "c-1", "c-2"]);
  });
});
