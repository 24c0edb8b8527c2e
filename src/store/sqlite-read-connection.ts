import type SQLite from "better-sqlite3";
import {
  SqliteDialect,
  SqliteDriver,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type Kysely,
  type QueryResult,
} from "kysely";
import type { Database } from "./schema.js";
import { withStatementCache, type CachedSqlite } from "./sqlite-statement-cache.js";

/**
 * The connection `store.db` reads through on a SQLite file. Kysely's SQLite driver has one connection behind a mutex,
 * and a group commit (sqlite-group-commit.ts) holds the writer's from BEGIN to COMMIT, fsync included: a read on it
 * waits for the whole write batch. This second connection to the same file (WAL: readers never block the writer and
 * see every committed transaction, never one still open) answers read-only statements at once, without a mutex
 * (better-sqlite3 runs each statement to completion synchronously). A statement that would write (a caller writing
 * through `store.db` outside `store.write`) is handed to the writer's Kysely, i.e. queued behind its mutex as before.
 */
class ReadConnection implements DatabaseConnection {
  private readonly statements: CachedSqlite;

  constructor(
    sqlite: SQLite.Database,
    private readonly writer: Kysely<Database>,
    maxStatements: number,
  ) {
    this.statements = withStatementCache(sqlite, maxStatements);
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.prepare(compiledQuery.sql);
    if (statement === undefined || !statement.readonly) return this.writer.executeQuery<R>(compiledQuery);
    const parameters = compiledQuery.parameters as unknown[];
    if (statement.reader) return Promise.resolve({ rows: statement.all(parameters) as R[] });
    statement.run(parameters);
    return Promise.resolve({ rows: [] });
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const statement = this.prepare(compiledQuery.sql);
    if (statement === undefined || !statement.readonly || !statement.reader) {
      yield await this.writer.executeQuery<R>(compiledQuery);
      return;
    }
    for (const row of statement.iterate(compiledQuery.parameters as unknown[])) yield { rows: [row as R] };
  }

  /** Cached by SQL text; undefined if this connection cannot prepare it (e.g. a table created since it opened). */
  private prepare(sql: string): SQLite.Statement | undefined {
    try {
      return this.statements.prepare(sql) as unknown as SQLite.Statement;
    } catch {
      return undefined;
    }
  }
}

class ReadDriver extends SqliteDriver {
  private readonly connection: ReadConnection;

  constructor(
    private readonly sqlite: SQLite.Database,
    writer: Kysely<Database>,
    maxStatements: number,
  ) {
    super({ database: sqlite as never });
    this.connection = new ReadConnection(sqlite, writer, maxStatements);
  }

  override async init(): Promise<void> {}

  override async acquireConnection(): Promise<DatabaseConnection> {
    return this.connection;
  }

  override async releaseConnection(): Promise<void> {}

  override async beginTransaction(): Promise<void> {
    throw new Error("transactions go through store.write, not store.db");
  }

  override async destroy(): Promise<void> {
    this.sqlite.close();
  }
}

export class SqliteReadDialect extends SqliteDialect {
  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly writer: Kysely<Database>,
    private readonly maxStatements: number,
  ) {
    super({ database: sqlite as never });
  }

  override createDriver(): Driver {
    return new ReadDriver(this.sqlite, this.writer, this.maxStatements);
  }
}
