import type { CompiledQuery, Kysely, QueryResult, SqliteDatabase } from "kysely";
import type { Database } from "./schema.js";

/**
 * The SQLite group commit's transactions, each with the writer's connection it runs on: while a batch's transaction
 * is open, a precompiled statement run through it goes straight to that connection (`executeDirect`). Kysely's own
 * path there (a transaction wraps its executor per query, then a connection provider, a mutex and a result
 * transform) allocated ~8 KB and a handful of promises per statement; sendMessage runs three (bench/RESULTS.md
 * "Issue 15: fifth pass"). The connection is the one Kysely would have used, inside the same transaction and savepoint,
 * and better-sqlite3 runs each statement to completion, so nothing else can interleave.
 */
const open = new WeakMap<object, SqliteDatabase>();

/** Marks `trx` as running on `connection` until `body` settles. */
export async function withDirectConnection<T>(trx: Kysely<Database>, connection: SqliteDatabase, body: () => Promise<T>): Promise<T> {
  open.set(trx, connection);
  try {
    return await body();
  } finally {
    open.delete(trx);
  }
}

/**
 * Runs `query` on the connection of `db` if `db` is an open group-commit transaction, with the result Kysely's SQLite
 * driver gives (rows for a statement that returns them, else the changed rows and the last insert id); otherwise
 * undefined, and the caller goes through Kysely.
 */
export function executeDirect<R>(db: Kysely<Database>, query: CompiledQuery<R>): Promise<QueryResult<R>> | undefined {
  const connection = open.get(db);
  if (connection === undefined) return undefined;
  try {
    const statement = connection.prepare(query.sql);
    if (statement.reader) return Promise.resolve({ rows: statement.all(query.parameters) as R[] });
    const { changes, lastInsertRowid } = statement.run(query.parameters);
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
  } catch (err) {
    return Promise.reject(err);
  }
}
