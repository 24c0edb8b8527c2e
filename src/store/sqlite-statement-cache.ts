import type SQLite from "better-sqlite3";
import type { SqliteDatabase, SqliteStatement } from "kysely";

/** A connection whose statements are prepared once per SQL text (and whether it is inside a transaction). */
export type CachedSqlite = SqliteDatabase & { readonly inTransaction: boolean };

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than running a primary-key insert.
 * This wrapper keeps prepared statements by SQL text (queries are parameterised, so the set of texts is small).
 */
export function withStatementCache(database: SQLite.Database, maxStatements = 500): CachedSqlite {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    get inTransaction() {
      return database.inTransaction;
    },
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql) as unknown as SqliteStatement;
        if (cache.size >= maxStatements) cache.delete(cache.keys().next().value as string);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}
