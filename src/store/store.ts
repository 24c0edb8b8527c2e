import { mkdirSync } from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, sql, type InsertObject, type Migration, type Transaction } from "kysely";
import type pg from "pg";
import type { Config } from "../config/config.js";
import { allMigrations } from "./migrations/index.js";
import type { Dialect } from "./migrations/migration-context.js";
import type { ChangeNotifications } from "./pg-change-listener.js";
import type { PgGroupCommit } from "./pg-group-commit.js";
import type { Database } from "./schema.js";
import { ImmediateSqliteDialect } from "./sqlite-dialect.js";
import { SqliteGroupCommit } from "./sqlite-group-commit.js";
import { SqliteReadDialect } from "./sqlite-read-connection.js";
import { withStatementCache, type CachedSqlite } from "./sqlite-statement-cache.js";

export type { Dialect } from "./migrations/migration-context.js";

/** What a write announces to every process sharing the database (caches key on these). */
export interface Change {
  topic: string;
  resourceId?: string | null;
  subject?: string | null;
}

export interface WriteContext {
  /** Records a change in the same transaction; it is dispatched locally after commit and to other processes by the feed. */
  emit(change: Change): void;
  /**
   * Serializes this transaction with every other one (in any process) that takes the same lock, until it commits:
   * for check-then-insert steps such as "create a signing key if none is active". PostgreSQL: a transaction-scoped
   * advisory lock; SQLite: nothing to do, its writers are serialized by the database file lock.
   */
  lock(name: string): Promise<void>;
}

/**
 * A write: its statements run in `trx`. On PostgreSQL it may run more than once (when a write grouped into the same
 * transaction fails, the group is rolled back and each write runs again alone: src/store/pg-group-commit.ts), so it
 * must have no effect outside the transaction other than its return value.
 */
export type WriteFn<T> = (trx: Transaction<Database>, ctx: WriteContext) => Promise<T>;

/**
 * The storage handle every repository takes. `db` is for reads; `write` runs a function in a transaction and resolves
 * only once the transaction is durable (SQLite: group-committed with the configured `synchronous`; PostgreSQL: COMMIT).
 */
export interface Store {
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
  write<T>(fn: WriteFn<T>): Promise<T>;
  /**
   * Inserts one row, durably (as `write` with a lone insert, which announces no change). PostgreSQL with group
   * commit: the rows of one turn for one table go out as one multi-row INSERT.
   */
  insert<T extends keyof Database>(table: T, values: InsertObject<Database, T>): Promise<void>;
  /** Called with the changes of every committed write of this process, and their change_events ids. */
  onLocalChanges(listener: (changes: Change[], ids: number[]) => void): void;
  /**
   * Tells `onNotify` whenever another process commits changes (PostgreSQL LISTEN/NOTIFY on a dedicated connection
   * that reconnects by itself; `onConnect` after every (re)connection). Undefined on SQLite: polling only.
   */
  listenForChanges(handlers: { onNotify: () => void; onConnect: () => void; onError?: (err: unknown) => void }): ChangeNotifications | undefined;
  /** A cheap round trip to the database; false if it fails or takes longer than timeoutMs. */
  ping(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Runs pending migrations (default true). */
  migrate?: boolean;
  now?: () => number;
}

/** A database file in the data directory (`:memory:` with --in-memory). */
export function sqliteFile(config: Config, name = "switchboard.db"): string {
  if (config.inMemory) return ":memory:";
  mkdirSync(config.dataDir, { recursive: true });
  return path.join(config.dataDir, name);
}

/** How long a SQLite connection waits for another connection's write lock before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** A SQLite connection as Switchboard uses every one: WAL, the configured durability, Kysely with cached statements. */
export function openSqlite(file: string, config: Config): { sqlite: SQLite.Database; statements: CachedSqlite; db: Kysely<Database> } {
  const sqlite = new SQLite(file);
  const tuning = config.sqlite;
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma(`synchronous = ${tuning.synchronous}`);
  sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  sqlite.pragma("foreign_keys = ON");
  sizeCaches(sqlite, config);
  // The WAL is copied back into the database file every N pages.
  sqlite.pragma(`wal_autocheckpoint = ${tuning.walAutocheckpointPages ?? 1000}`);
  const statements = tuning.statementCacheSize ?? 500;
  const cached = withStatementCache(sqlite, statements);
  return { sqlite, statements: cached, db: new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: cached }) }) };
}

/**
 * Sized deliberately (README "Configuration"): the page cache per connection, and no mmap unless asked for (mapped
 * pages count in RSS).
 */
function sizeCaches(sqlite: SQLite.Database, config: Config): void {
  sqlite.pragma(`cache_size = -${config.sqlite.cacheSizeKib ?? 8_192}`);
  sqlite.pragma(`mmap_size = ${(config.sqlite.mmapSizeMib ?? 0) * 1024 * 1024}`);
}

/** The read side of a SQLite file store: its own connection, same tuning, statements that write go to `writer`. */
function openSqliteReader(file: string, config: Config, writer: Kysely<Database>): Kysely<Database> {
  const sqlite = new SQLite(file);
  sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  sizeCaches(sqlite, config);
  return new Kysely<Database>({ dialect: new SqliteReadDialect(sqlite, writer, config.sqlite.statementCacheSize ?? 500) });
}

/**
 * Requests' queries fail after this long when the database stops answering without closing the connection (a
 * network partition), instead of hanging until TCP gives up; no request query runs anywhere near it. Migrations
 * (which may build indexes on large tables, or wait for another replica's run) have their own connection without it.
 */
const QUERY_TIMEOUT_MS = 10_000;

/** The PostgreSQL driver and the LISTEN side, loaded only when a database URL is configured (SQLite never loads pg). */
type Postgres = {
  pg: typeof pg;
  listener: typeof import("./pg-change-listener.js");
  groupCommit: typeof import("./pg-group-commit.js");
  prepared: typeof import("./pg-prepared.js");
};
const loadPostgres = async (): Promise<Postgres> => ({
  pg: (await import("pg")).default,
  listener: await import("./pg-change-listener.js"),
  groupCommit: await import("./pg-group-commit.js"),
  prepared: await import("./pg-prepared.js"),
});

function openPostgresPool(pg: typeof import("pg").default, config: Config, options: { max: number; queryTimeoutMs?: number }): pg.Pool {
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: options.max,
    connectionTimeoutMillis: 5_000,
    ...(options.queryTimeoutMs !== undefined ? { query_timeout: options.queryTimeoutMs } : {}),
    keepAlive: true,
    // int8 columns (epoch milliseconds) come back as JS numbers, as they do from SQLite.
    types: {
      getTypeParser: (oid: number, format?: unknown) =>
        oid === 20 ? (v: string) => Number.parseInt(v, 10) : pg.types.getTypeParser(oid, format as "text"),
    } as pg.CustomTypesConfig,
  });
  // A dropped connection must not crash the process; the next query reports the outage instead. The pool handles
  // errors of idle clients; a client checked out (e.g. between the statements of a transaction) gets its own
  // listener, or a socket dying at that moment would be an unhandled 'error' event.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

/** Groups in flight at once: each holds a connection; the rest of the pool stays free for reads. */
function pgGroups(poolSize: number): number {
  return Math.max(1, Math.floor(poolSize / 2));
}

function openKysely(
  config: Config,
  postgres: Postgres | undefined,
): { dialect: Dialect; db: Kysely<Database>; file?: string; sqlite?: SQLite.Database; statements?: CachedSqlite } {
  if (config.databaseUrl !== undefined && postgres !== undefined) {
    const pool = openPostgresPool(postgres.pg, config, { max: config.postgres.poolSize, queryTimeoutMs: QUERY_TIMEOUT_MS });
    const kyselyPool = config.postgres.preparedStatements ? postgres.prepared.preparedStatementPool(pool) : pool;
    return { dialect: "postgres", db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: kyselyPool }) }) };
  }
  const file = sqliteFile(config);
  const { sqlite, statements, db } = openSqlite(file, config);
  return { dialect: "sqlite", db, file, sqlite, statements };
}

/**
 * Runs pending migrations; processes starting at once on an empty database take turns. PostgreSQL: a session
 * advisory lock (per schema) wraps the whole run, on top of the Migrator's own transaction lock.
 */
export async function migrateToLatest(
  db: Kysely<Database>,
  dialect: Dialect,
  migrations: Record<string, Migration> = allMigrations(dialect),
): Promise<void> {
  if (dialect === "sqlite") {
    // Every start but the first finds nothing to do: one read of the applied names says so, where the Migrator
    // would introspect every table first (bench/RESULTS.md, "Startup and CLI"). Anything else runs the Migrator.
    if (await sqliteUpToDate(db, migrations)) return;
    // Kysely runs SQLite migrations outside a transaction, guarded only by a lock inside this process. One
    // BEGIN IMMEDIATE transaction makes the run atomic and makes other processes on the same file wait for it.
    await db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        await runMigrator(conn, dialect, migrations);
      } catch (err) {
        await sql`rollback`.execute(conn);
        throw err;
      }
      await sql`commit`.execute(conn);
    });
    return;
  }
  await db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(hashtext(current_schema() || ':switchboard-migrations'))`.execute(conn);
    try {
      await runMigrator(conn, dialect, migrations);
    } finally {
      await sql`select pg_advisory_unlock(hashtext(current_schema() || ':switchboard-migrations'))`.execute(conn);
    }
  });
}

/** True when exactly these migrations, no fewer and no others, are recorded as applied in Kysely's table. */
async function sqliteUpToDate(db: Kysely<Database>, migrations: Record<string, Migration>): Promise<boolean> {
  let applied: Set<string>;
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    applied = new Set(rows.map((r) => r.name));
  } catch {
    return false; // a new store: no table yet
  }
  const names = Object.keys(migrations);
  return applied.size === names.length && names.every((name) => applied.has(name));
}

async function runMigrator(db: Kysely<Database>, dialect: Dialect, migrations: Record<string, Migration>): Promise<void> {
  // Kysely looks for its bookkeeping tables by introspecting every schema; name the current one explicitly so that
  // several Switchboard schemas in one database (tests, or operators using search_path) never see each other's.
  const schema =
    dialect === "postgres" ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async (): Promise<Record<string, Migration>> => migrations },
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error");
    throw new Error(`migration ${failed?.migrationName ?? "?"} failed: ${(error as Error).message ?? String(error)}`);
  }
}

export async function openStore(config: Config, options: StoreOptions = {}): Promise<Store> {
  const postgres = config.databaseUrl !== undefined ? await loadPostgres() : undefined;
  const { dialect, db, file, sqlite, statements } = openKysely(config, postgres);
  const now = options.now ?? Date.now;
  if (options.migrate !== false) {
    // PostgreSQL: on a connection of its own, without the request query timeout.
    const migrationDb =
      dialect === "postgres" ? new Kysely<Database>({ dialect: new PostgresDialect({ pool: openPostgresPool(postgres!.pg, config, { max: 1 }) }) }) : db;
    try {
      await migrateToLatest(migrationDb, dialect);
    } catch (err) {
      await db.destroy();
      throw err;
    } finally {
      if (migrationDb !== db) await migrationDb.destroy();
    }
  }
  const listeners: Array<(changes: Change[], ids: number[]) => void> = [];
  const dispatch = (changes: Change[], ids: number[]): void => {
    if (changes.length === 0) return;
    for (const l of listeners) l(changes, ids);
  };

  /** Runs fn and records its emitted changes in the same transaction. */
  const runRecorded = async <T>(trx: Transaction<Database>, fn: WriteFn<T>): Promise<{ value: T; changes: Change[]; ids: number[] }> => {
    const changes: Change[] = [];
    const lock = async (name: string): Promise<void> => {
      if (dialect === "postgres") await sql`select pg_advisory_xact_lock(hashtext(current_schema() || ':' || ${name}))`.execute(trx);
    };
    const value = await fn(trx, { emit: (c) => changes.push(c), lock });
    let ids: number[] = [];
    if (changes.length > 0) {
      const createdAt = now();
      const rows = await trx
        .insertInto("change_events")
        .values(changes.map((c) => ({ topic: c.topic, resource_id: c.resourceId ?? null, subject: c.subject ?? null, created_at: createdAt })))
        .returning("id")
        .execute();
      ids = rows.map((r) => Number(r.id));
      // Delivered to the LISTENing replicas when (and only if) this transaction commits.
      if (dialect === "postgres") await sql`select pg_notify(${postgres!.listener.CHANGE_CHANNEL}, current_schema())`.execute(trx);
    }
    return { value, changes, ids };
  };

  // synchronous=FULL on a file: the commit's WAL sync moves off the request thread (sqlite-group-commit.ts), the
  // connection itself syncing as NORMAL does (before and after checkpoints).
  const syncWalAfterCommit = dialect === "sqlite" && sqlite !== undefined && file !== ":memory:" && config.sqlite.synchronous === "FULL";
  if (syncWalAfterCommit) sqlite.pragma("synchronous = NORMAL");
  const pgGroupCommit: PgGroupCommit | undefined =
    dialect === "postgres" && postgres !== undefined && config.postgres.groupCommit ? new postgres.groupCommit.PgGroupCommit(db, pgGroups(config.postgres.poolSize)) : undefined;
  const sqliteGroupCommit =
    dialect === "sqlite" ? new SqliteGroupCommit(db, { ...(syncWalAfterCommit ? { walFile: `${file}-wal` } : {}), ...(statements !== undefined ? { sqlite: statements } : {}) }) : undefined;
  const groupCommit = sqliteGroupCommit ?? pgGroupCommit;
  // SQLite file: reads get a connection of their own (sqlite-read-connection.ts), so they never wait for a write
  // batch. (In memory there is one database per connection, so reads share the writer's.)
  const readDb = dialect === "sqlite" && file !== undefined && file !== ":memory:" ? openSqliteReader(file, config, db) : db;

  const write = async <T>(fn: WriteFn<T>): Promise<T> => {
    const { value, changes, ids } =
      groupCommit !== undefined
        ? await groupCommit.run((trx) => runRecorded(trx, fn))
        : await db.transaction().execute((trx) => runRecorded(trx, fn));
    dispatch(changes, ids);
    return value;
  };

  return {
    dialect,
    db: readDb,
    write,
    insert(table, values) {
      if (pgGroupCommit !== undefined) return pgGroupCommit.insert(table, values);
      if (sqliteGroupCommit !== undefined) return sqliteGroupCommit.insert(table, values as Record<string, unknown>);
      return write(async (trx) => void (await trx.insertInto(table).values(values).execute()));
    },
    onLocalChanges(listener) {
      listeners.push(listener);
    },
    listenForChanges(handlers) {
      if (dialect !== "postgres" || config.databaseUrl === undefined || postgres === undefined) return undefined;
      const listener = new postgres.listener.PgChangeListener({ connectionString: config.databaseUrl, ...handlers });
      listener.start();
      return listener;
    },
    async ping(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const query = sql`select 1`.execute(db).then(
        () => true,
        () => false,
      );
      try {
        return await Promise.race([query, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await groupCommit?.drain();
      sqliteGroupCommit?.close();
      if (readDb !== db) await readDb.destroy();
      await db.destroy();
    },
  };
}
