import { mkdirSync } from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration, type Transaction } from "kysely";
import pg from "pg";
import type { Config } from "../config/config.js";
import { allMigrations } from "./migrations/index.js";
import type { Dialect } from "./migrations/migration-context.js";
import type { Database } from "./schema.js";
import { SqliteGroupCommit } from "./sqlite-group-commit.js";
import { withStatementCache } from "./sqlite-statement-cache.js";

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
}

export type WriteFn<T> = (trx: Transaction<Database>, ctx: WriteContext) => Promise<T>;

/**
 * The storage handle every repository takes. `db` is for reads; `write` runs a function in a transaction and resolves
 * only once the transaction is durable (SQLite: group-committed with the configured `synchronous`; PostgreSQL: COMMIT).
 */
export interface Store {
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
  write<T>(fn: WriteFn<T>): Promise<T>;
  /** Called with the changes of every committed write of this process. */
  onLocalChanges(listener: (changes: Change[]) => void): void;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Runs pending migrations (default true). */
  migrate?: boolean;
  now?: () => number;
}

function sqliteFile(config: Config): string {
  if (config.inMemory) return ":memory:";
  mkdirSync(config.dataDir, { recursive: true });
  return path.join(config.dataDir, "switchboard.db");
}

function openKysely(config: Config): { dialect: Dialect; db: Kysely<Database> } {
  if (config.databaseUrl !== undefined) {
    const pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: config.postgres.poolSize,
      connectionTimeoutMillis: 5_000,
      // int8 columns (epoch milliseconds) come back as JS numbers, as they do from SQLite.
      types: {
        getTypeParser: (oid: number, format?: unknown) =>
          oid === 20 ? (v: string) => Number.parseInt(v, 10) : pg.types.getTypeParser(oid, format as "text"),
      } as pg.CustomTypesConfig,
    });
    // A dropped connection must not crash the process; the next query reports the outage instead.
    pool.on("error", () => {});
    return { dialect: "postgres", db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }) };
  }
  const sqlite = new SQLite(sqliteFile(config));
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma(`synchronous = ${config.sqlite.synchronous}`);
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  return { dialect: "sqlite", db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) }) };
}

export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  const migrations = allMigrations(dialect);
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
  const { dialect, db } = openKysely(config);
  const now = options.now ?? Date.now;
  if (options.migrate !== false) {
    try {
      await migrateToLatest(db, dialect);
    } catch (err) {
      await db.destroy();
      throw err;
    }
  }
  const listeners: Array<(changes: Change[]) => void> = [];
  const dispatch = (changes: Change[]): void => {
    if (changes.length === 0) return;
    for (const l of listeners) l(changes);
  };

  /** Runs fn and records its emitted changes in the same transaction. */
  const runRecorded = async <T>(trx: Transaction<Database>, fn: WriteFn<T>): Promise<{ value: T; changes: Change[] }> => {
    const changes: Change[] = [];
    const value = await fn(trx, { emit: (c) => changes.push(c) });
    if (changes.length > 0) {
      const createdAt = now();
      await trx
        .insertInto("change_events")
        .values(changes.map((c) => ({ topic: c.topic, resource_id: c.resourceId ?? null, subject: c.subject ?? null, created_at: createdAt })))
        .execute();
    }
    return { value, changes };
  };

  const groupCommit = dialect === "sqlite" ? new SqliteGroupCommit(db) : undefined;

  return {
    dialect,
    db,
    async write<T>(fn: WriteFn<T>): Promise<T> {
      const { value, changes } =
        groupCommit !== undefined
          ? await groupCommit.run((trx) => runRecorded(trx, fn))
          : await db.transaction().execute((trx) => runRecorded(trx, fn));
      dispatch(changes);
      return value;
    },
    onLocalChanges(listener) {
      listeners.push(listener);
    },
    async close() {
      await groupCommit?.drain();
      await db.destroy();
    },
  };
}
