import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import SQLite from "better-sqlite3";
import type { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteWriterThread } from "../../src/store/sqlite-writer-thread.js";

function freshFile(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "switchboard-writer-")), "w.db");
  const db = new SQLite(file);
  db.pragma("journal_mode = WAL");
  db.exec("create table t (id integer primary key, v text not null)");
  db.close();
  return file;
}

const rowsOf = (file: string): Array<{ id: number; v: string }> => {
  const db = new SQLite(file, { readonly: true });
  try {
    return db.prepare("select id, v from t order by id").all() as Array<{ id: number; v: string }>;
  } finally {
    db.close();
  }
};

describe("SQLite writer thread", () => {
  const writers: SqliteWriterThread[] = [];
  const open = (file: string, options: { cacheSizeKib?: number } = {}) => {
    const w = new SqliteWriterThread(file, { synchronous: "FULL", busyTimeoutMs: 1000, ...options });
    writers.push(w);
    return w;
  };
  afterEach(async () => {
    await Promise.all(writers.splice(0).map((w) => w.close()));
  });

  it("runs a message's statements as one committed transaction and reports the rows each changed", async () => {
    const file = freshFile();
    const writer = open(file);
    const changes = await writer.run([
      { sql: "insert into t (id, v) values (?, ?), (?, ?)", parameters: [1, "a", 2, "b"] },
      { sql: "update t set v = ? where id > ?", parameters: ["c", 1] },
      { sql: "delete from t where id = ?", parameters: [99] },
    ]);
    expect(changes).toEqual([2, 1, 0]);
    // Another connection sees the commit as soon as run() resolved.
    expect(rowsOf(file)).toEqual([
      { id: 1, v: "a" },
      { id: 2, v: "c" },
    ]);
  });

  it("rolls the whole transaction back when one statement fails, and keeps serving", async () => {
    const file = freshFile();
    const writer = open(file);
    await expect(
      writer.run([
        { sql: "insert into t (id, v) values (?, ?)", parameters: [1, "kept only if all succeed"] },
        { sql: "insert into t (id, v) values (?, ?)", parameters: [2, null] },
      ]),
    ).rejects.toThrow(/NOT NULL/);
    expect(rowsOf(file)).toEqual([]);
    await expect(writer.run([{ sql: "insert into t (id, v) values (?, ?)", parameters: [3, "x"] }])).resolves.toEqual([1]);
    expect(rowsOf(file)).toEqual([{ id: 3, v: "x" }]);
  });

  it("fails the writes in flight when the thread dies, and starts a new thread for the next write", async () => {
    const file = freshFile();
    const writer = open(file);
    await writer.run([{ sql: "insert into t (id, v) values (?, ?)", parameters: [1, "a"] }]);
    const thread = (writer as unknown as { worker: Worker }).worker;
    // A write that keeps the thread busy for a moment (generated rows), and the thread killed meanwhile.
    const inFlight = writer.run([
      {
        sql: "insert into t (id, v) with recursive c(x) as (select 1 union all select x + 1 from c where x < ?) select x + 100, 'z' from c",
        parameters: [20_000],
      },
    ]);
    await thread.terminate();
    // Its caller learns it failed (it may or may not have committed: the thread can die just after COMMIT).
    await expect(inFlight).rejects.toThrow(/exited/);
    await expect(writer.run([{ sql: "insert into t (id, v) values (?, ?)", parameters: [3, "c"] }])).resolves.toEqual([1]);
    const ids = rowsOf(file).map((r) => r.id);
    expect(ids.slice(0, 2)).toEqual([1, 3]);
    expect([0, 20_000]).toContain(ids.length - 2);
  });

  it("close() waits for the writes in flight, then refuses new ones", async () => {
    const file = freshFile();
    const writer = open(file);
    const writes = Array.from({ length: 20 }, (_, i) => writer.run([{ sql: "insert into t (id, v) values (?, ?)", parameters: [i, `v${i}`] }]));
    await writer.close();
    expect((await Promise.all(writes)).flat()).toEqual(Array(20).fill(1));
    expect(rowsOf(file)).toHaveLength(20);
    await expect(writer.run([{ sql: "select 1", parameters: [] }])).rejects.toThrow(/closed/);
  });

  it("runs its connection with the page cache it is given, and better-sqlite3's 16 MB default without one", async () => {
    const file = freshFile();
    expect(await open(file, { cacheSizeKib: 1536 }).pragma("cache_size")).toBe(-1536);
    expect(await open(file).pragma("cache_size")).toBe(-16000);
    expect(await open(file).pragma("synchronous")).toBe(2); // FULL
    // Only settings are read this way: anything else is refused and the thread keeps serving.
    const writer = open(file);
    await expect(writer.pragma("wal_checkpoint" as "cache_size")).rejects.toThrow(/not readable/);
    expect(await writer.run([{ sql: "insert into t (id, v) values (?, ?)", parameters: [1, "a"] }])).toEqual([1]);
  });
});
