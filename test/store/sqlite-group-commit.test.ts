import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/schema.js";
import { SqliteGroupCommit } from "../../src/store/sqlite-group-commit.js";

let sqlite: SQLite.Database;
let db: Kysely<Database>;
afterEach(async () => {
  await db.destroy();
});

function open() {
  sqlite = new SQLite(":memory:");
  sqlite.exec("create table t (id text primary key)");
  db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
}
const ids = () => (sqlite.prepare("select id from t order by id").all() as Array<{ id: string }>).map((r) => r.id);

describe("SqliteGroupCommit: prepared inserts beside Kysely writes", () => {
  it("a row that breaks a constraint fails alone; the batch's other rows and writes commit", async () => {
    open();
    const commit = new SqliteGroupCommit(db, { sqlite });
    sqlite.prepare("insert into t values ('taken')").run();
    const results = await Promise.allSettled([
      commit.insert("t", { id: "a" }),
      commit.insert("t", { id: "taken" }),
      commit.run(async (trx) => void (await trx.insertInto("t" as never).values({ id: "b" } as never).execute())),
      commit.insert("t", { id: "c" }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect(ids()).toEqual(["a", "b", "c", "taken"]);
  });

  it("a failure that ends the transaction (as an I/O error may) fails the whole batch and leaves nothing of it", async () => {
    open();
    // The connection as SQLite leaves it after an error that rolls the transaction back: no transaction, and an error.
    const failing = {
      get inTransaction() {
        return sqlite.inTransaction;
      },
      close: () => sqlite.close(),
      prepare(text: string) {
        if (!text.includes('"t"') || !text.startsWith("insert")) return sqlite.prepare(text);
        const statement = sqlite.prepare(text);
        return {
          reader: statement.reader,
          all: (params: readonly unknown[]) => statement.all(params),
          iterate: (params: readonly unknown[]) => statement.iterate(params),
          run: (params: readonly unknown[]) => {
            if (params[0] !== "disk-error") return statement.run(params);
            sqlite.exec("rollback");
            throw Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR" });
          },
        };
      },
    };
    const commit = new SqliteGroupCommit(db, { sqlite: failing });
    const results = await Promise.allSettled([commit.insert("t", { id: "a" }), commit.insert("t", { id: "disk-error" }), commit.insert("t", { id: "c" })]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(ids()).toEqual([]);
    // The next batch starts clean.
    await commit.insert("t", { id: "d" });
    expect(ids()).toEqual(["d"]);
  });
});
