// @ts-check
// The thread behind SqliteWriterThread (sqlite-writer-thread.ts): owns one better-sqlite3 connection to one database
// file and runs each message's statements as one BEGIN IMMEDIATE … COMMIT transaction, off the main thread.
// Plain CommonJS with no project imports, so the same file runs from src/ (tests) and from dist/ (tsc copies it).
"use strict";
const { readlinkSync } = require("node:fs");
const { setPriority } = require("node:os");
const { parentPort, workerData } = require("node:worker_threads");
const Database = require("better-sqlite3");

if (parentPort === null) throw new Error("sqlite-writer-worker.cjs runs only as a worker thread");
const port = parentPort;

/** @type {{ file: string; synchronous: string; busyTimeoutMs: number; cacheSizeKib?: number; nice?: number }} */
const options = workerData;

// Background work yields to the request thread: on Linux a thread is a task with its own id and its own nice value,
// so this lowers the priority of this thread only. Best effort: elsewhere (no /proc/thread-self) it stays as it is.
if (options.nice !== undefined) {
  try {
    setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), options.nice);
  } catch {
    // not Linux, or not permitted: run at the process's priority
  }
}
const db = new Database(options.file);
db.pragma("journal_mode = WAL");
db.pragma(`synchronous = ${options.synchronous}`);
db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
// better-sqlite3 builds SQLite with a 16 MB default page cache: a writer told its size keeps to it.
if (options.cacheSizeKib !== undefined) db.pragma(`cache_size = -${Math.trunc(options.cacheSizeKib)}`);

const PRAGMAS = new Set(["cache_size", "synchronous", "journal_mode", "busy_timeout"]);

const MAX_STATEMENTS = 64;
/** @type {Map<string, import("better-sqlite3").Statement>} */
const statements = new Map();
/** @param {string} sql */
function prepared(sql) {
  let statement = statements.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql);
    if (statements.size >= MAX_STATEMENTS) statements.delete(/** @type {string} */ (statements.keys().next().value));
    statements.set(sql, statement);
  }
  return statement;
}

const begin = db.prepare("begin immediate");
const commit = db.prepare("commit");
const rollback = db.prepare("rollback");

/** @param {{ id: number; statements: Array<{ sql: string; parameters: unknown[] }> }} message */
function runTransaction(message) {
  begin.run();
  try {
    const changes = message.statements.map((s) => prepared(s.sql).run(s.parameters).changes);
    commit.run();
    return changes;
  } catch (err) {
    if (db.inTransaction) rollback.run();
    throw err;
  }
}

port.on("message", (message) => {
  if (message === "close") {
    db.close();
    port.close();
    return;
  }
  try {
    if (message.pragma !== undefined) {
      if (!PRAGMAS.has(message.pragma)) throw new Error(`pragma ${message.pragma} is not readable here`);
      port.postMessage({ id: message.id, value: db.pragma(message.pragma, { simple: true }) });
      return;
    }
    port.postMessage({ id: message.id, changes: runTransaction(message) });
  } catch (err) {
    port.postMessage({ id: message.id, error: err instanceof Error ? err.message : String(err) });
  }
});
