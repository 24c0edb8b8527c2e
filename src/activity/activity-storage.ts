import type SQLite from "better-sqlite3";
import { CompiledQuery, type Kysely } from "kysely";
import type { Config } from "../config/config.js";
import { activityFileMigrations } from "../store/migrations/index.js";
import type { Database } from "../store/schema.js";
import { SqliteWriterThread, type Statement } from "../store/sqlite-writer-thread.js";
import { migrateToLatest, openSqlite, sqliteFile, SQLITE_BUSY_TIMEOUT_MS, type Dialect, type Store } from "../store/store.js";

/** Where the activity record lives: reads through `db`, writes as whole transactions through `run`. */
export interface ActivityStorage {
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
  /** Runs the statements as one transaction; resolves, once it is durable, with the rows each statement changed. */
  run(statements: readonly Statement[]): Promise<number[]>;
  /** A PRAGMA of the writer thread's connection, where there is one (a SQLite data directory): what it runs with. */
  writerPragma?(name: "cache_size" | "synchronous"): Promise<unknown>;
  close(): Promise<void>;
}

/** The activity record's own file in a SQLite data directory, beside switchboard.db. */
export const ACTIVITY_FILE = "activity.db";

/**
 * PostgreSQL and an in-memory SQLite store keep the activity record in the store itself. A SQLite data directory
 * keeps it in a file of its own, written by a worker thread: the record's inserts, index updates and fsyncs then
 * cost the request thread nothing, and they never hold switchboard.db's write lock (bench/activity.mjs measures why).
 */
export async function openActivityStorage(config: Config, store: Store): Promise<ActivityStorage> {
  if (store.dialect === "postgres" || config.inMemory) return storeActivityStorage(store);
  return openActivityFile(config, store);
}

function storeActivityStorage(store: Store): ActivityStorage {
  return {
    dialect: store.dialect,
    db: store.db,
    run: (statements) =>
      store.write(async (trx) => {
        const changed: number[] = [];
        for (const s of statements) {
          const result = await trx.executeQuery(CompiledQuery.raw(s.sql, [...s.parameters]));
          changed.push(Number(result.numAffectedRows ?? 0));
        }
        return changed;
      }),
    close: async () => {},
  };
}

async function openActivityFile(config: Config, store: Store): Promise<ActivityStorage> {
  const file = sqliteFile(config, ACTIVITY_FILE);
  const { sqlite, db } = openSqlite(file, config);
  try {
    await migrateToLatest(db, "sqlite", activityFileMigrations());
    await moveRowsFromStore(sqlite, store, sqliteFile(config));
  } catch (err) {
    await db.destroy();
    throw err;
  }
  // The writer has its own durability setting (fsyncing every batch makes the disk busy under the request thread's
  // fsyncs) and the lowest scheduling priority: on a busy machine, requests go first.
  const writer = new SqliteWriterThread(file, {
    synchronous: config.sqlite.activitySynchronous,
    busyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS,
    cacheSizeKib: config.sqlite.activityCacheSizeKib,
    nice: 19,
  });
  return {
    dialect: "sqlite",
    db,
    run: (statements) => writer.run(statements),
    writerPragma: (name) => writer.pragma(name),
    async close() {
      await writer.close();
      await db.destroy();
    },
  };
}

const COLUMNS = `"id", "identity", "bucket", "event_id", "time", "resource_id", "operation", "status", "error_code", "principal", "subjects", "fields"`;

/**
 * Data directories written before the record had its own file keep their events in switchboard.db's table: they move
 * here once, ids and order kept. The copy commits before the delete; if the process dies between the two, the next
 * start copies again and the ids already here are skipped.
 */
async function moveRowsFromStore(activity: SQLite.Database, store: Store, storeFile: string): Promise<void> {
  const left = await store.db.selectFrom("activity_events").select("id").limit(1).executeTakeFirst();
  if (left === undefined) return;
  activity.prepare("attach database ? as store").run(storeFile);
  try {
    activity
      .transaction(() => {
        activity.exec(`insert or ignore into main.activity_events (${COLUMNS}) select ${COLUMNS} from store.activity_events`);
        activity.exec("delete from store.activity_events");
      })
      .immediate();
  } finally {
    activity.exec("detach database store");
  }
}
