import { afterEach, describe, expect, it } from "vitest";
import { IdentityRepository } from "../../src/identity/identity-repository.js";
import { ResourceRepository } from "../../src/resources/resource-repository.js";
import type { Change } from "../../src/store/store.js";
import { backendNames } from "../support/backends.js";
import { createTestDatabase, type TestDatabase } from "./store-fixture.js";

let tdb: TestDatabase;
afterEach(async () => {
  await tdb.closeAll();
});

describe.each(backendNames)("store.write on %s", (backend) => {
  async function setup() {
    tdb = await createTestDatabase(backend);
    const store = await tdb.open();
    const other = await tdb.open();
    const resource = await new ResourceRepository(store, () => 1).ensureDefault({ name: "dev" });
    return { store, other, resource, repo: new IdentityRepository(store) };
  }

  it("isolates concurrent writes: a failing one rolls back only itself (SQLite: savepoints in one group commit)", async () => {
    const { store, other, resource, repo } = await setup();
    const local: Change[] = [];
    store.onLocalChanges((c) => local.push(...c));
    const results = await Promise.allSettled([
      store.write(async (trx, ctx) => {
        await repo.insert(trx, "ok-1", resource.id, 1);
        ctx.emit({ topic: "t", subject: "ok-1" });
      }),
      store.write(async (trx, ctx) => {
        await repo.insert(trx, "bad", resource.id, 1);
        ctx.emit({ topic: "t", subject: "bad" });
        throw new Error("handler failed after writing");
      }),
      store.write(async (trx) => {
        // Violates the primary key of ok-1's row only if it were the same id: use a constraint failure of its own.
        await repo.insert(trx, "dup", resource.id, 1);
        await repo.insert(trx, "dup", resource.id, 1);
      }),
      store.write(async (trx, ctx) => {
        await repo.insert(trx, "ok-2", resource.id, 1);
        ctx.emit({ topic: "t", subject: "ok-2" });
        return "value";
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect((results[3] as PromiseFulfilledResult<string>).value).toBe("value");
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: "handler failed after writing" });
    // Seen through another connection: committed writes only.
    const ids = (await other.db.selectFrom("identities").select("id").orderBy("id").execute()).map((r) => r.id);
    expect(ids).toEqual(["ok-1", "ok-2"]);
    // (PostgreSQL runs the four in parallel transactions: their order is not defined.)
    const events = (await other.db.selectFrom("change_events").select("subject").where("topic", "=", "t").execute()).map((r) => r.subject);
    expect(events.sort()).toEqual(["ok-1", "ok-2"]);
    expect(local.filter((c) => c.topic === "t").map((c) => c.subject).sort()).toEqual(["ok-1", "ok-2"]);
  });

  it("store.insert: rows queued in one turn commit together with the turn's writes; a failing row fails only itself", async () => {
    const { store, other, resource, repo } = await setup();
    const row = (id: string) => ({ id, resource_id: resource.id, created_at: 1, deleted_at: null, token_generation: 0, revoked_at: null });
    const ids = async () => (await other.db.selectFrom("identities").select("id").orderBy("id").execute()).map((r) => r.id);
    await repo.insert(other.db, "taken", resource.id, 1);
    const results = await Promise.allSettled([
      store.insert("identities", row("i-1")),
      store.insert("identities", row("taken")),
      store.write(async () => {
        throw new Error("a failing write beside the rows");
      }),
      store.insert("identities", row("i-2")),
      store.write((trx) => repo.insert(trx, "w-1", resource.id, 1)),
      store.insert("identities", row("i-2")),
      store.insert("identities", row("i-3")),
    ]);
    const statuses = results.map((r) => r.status);
    expect([statuses[0], statuses[1], statuses[2], statuses[4], statuses[6]]).toEqual(["fulfilled", "rejected", "rejected", "fulfilled", "fulfilled"]);
    // Of the two rows with one id, exactly one commits (which one is not defined on PostgreSQL, whose group may order them either way).
    const twins = [results[3]!, results[5]!];
    expect(twins.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const constraint = backend === "postgres" ? { code: "23505" } : { code: "SQLITE_CONSTRAINT_PRIMARYKEY" };
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject(constraint);
    expect((twins.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toMatchObject(constraint);
    expect(await ids()).toEqual(["i-1", "i-2", "i-3", "taken", "w-1"]);
    // A lone row that fails, then one that does not.
    await expect(store.insert("identities", row("i-1"))).rejects.toMatchObject(constraint);
    await store.insert("identities", row("i-4"));
    expect(await ids()).toEqual(["i-1", "i-2", "i-3", "i-4", "taken", "w-1"]);
  });

  it("store.insert: rows of one table with other columns, or the same in another order, each land as given", async () => {
    const { store, other, resource } = await setup();
    await Promise.all([
      store.insert("identities", { id: "c-1", resource_id: resource.id, created_at: 1, deleted_at: null, token_generation: 0, revoked_at: null }),
      store.insert("identities", { token_generation: 7, created_at: 2, resource_id: resource.id, id: "c-2" }),
      store.insert("identities", { id: "c-3", resource_id: resource.id, created_at: 3, deleted_at: 30, token_generation: 0 }),
    ]);
    await store.insert("identities", { id: "c-4", resource_id: resource.id, created_at: 4, token_generation: 9, deleted_at: null, revoked_at: 40 });
    const rows = await other.db.selectFrom("identities").select(["id", "created_at", "token_generation", "deleted_at", "revoked_at"]).where("id", "like", "c-%").orderBy("id").execute();
    expect(rows.map((r) => [r.id, Number(r.created_at), Number(r.token_generation), r.deleted_at === null ? null : Number(r.deleted_at), r.revoked_at === null ? null : Number(r.revoked_at)])).toEqual([
      ["c-1", 1, 0, null, null],
      ["c-2", 2, 7, null, null],
      ["c-3", 3, 0, 30, null],
      ["c-4", 4, 9, null, 40],
    ]);
  });

  it("resolves only once the write is visible to every other connection", async () => {
    const { store, other, resource, repo } = await setup();
    const writes = Array.from({ length: 40 }, (_, i) =>
      store.write((trx) => repo.insert(trx, `w-${i}`, resource.id, i)).then(async () => {
        const row = await other.db.selectFrom("identities").select("id").where("id", "=", `w-${i}`).executeTakeFirst();
        return row?.id;
      }),
    );
    const seen = await Promise.all(writes);
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => `w-${i}`));
  });

  it("ctx.lock serializes transactions that take the same lock", async () => {
    const { store, other } = await setup();
    const order: string[] = [];
    const first = store.write(async (_trx, ctx) => {
      await ctx.lock("test-lock");
      order.push("first locked");
      await new Promise((r) => setTimeout(r, 150));
      order.push("first done");
    });
    await new Promise((r) => setTimeout(r, 30));
    // PostgreSQL: a second connection (another process). SQLite: the same store; a second SQLite connection in this
    // process would wait for the file lock synchronously, blocking the event loop the first write needs.
    const writer = backend === "postgres" ? other : store;
    const second = writer.write(async (_trx, ctx) => {
      await ctx.lock("test-lock");
      order.push("second locked");
    });
    await Promise.all([first, second]);
    expect(order).toEqual(["first locked", "first done", "second locked"]);
  });
});
