import { sql, type Kysely, type Transaction } from "kysely";
import type { ActivityStorage } from "../activity/activity-storage.js";
import type { Database } from "./schema.js";
import type { Store } from "./store.js";

/** Tables whose `id` the database generates (identity columns on PostgreSQL): copied with their ids. */
const AUTO_ID_TABLES = new Set(["outbox_messages", "activity_events", "call_participants", "change_events"]);
/** Parents first (foreign keys); every other table follows in name order. */
const FIRST = ["resources", "arm_email_services", "chat_threads", "calls"];
/**
 * Not copied: the migrator's own bookkeeping, the change feed (a new store starts its own), the replicas' heartbeats
 * (live state of the processes on the source), the activity record (below).
 */
const SKIPPED = new Set(["kysely_migration", "kysely_migration_lock", "change_events", "realtime_replicas", "activity_events"]);
const MAX_PARAMETERS = 20_000;

export interface StoreCopyReport {
  tables: Record<string, number>;
  activityEvents: number;
}

async function tablesOf(store: Store): Promise<string[]> {
  const rows =
    store.dialect === "sqlite"
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(store.db)).rows
      : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(store.db)).rows;
  const names = rows.map((r) => r.name).filter((n) => !SKIPPED.has(n));
  const first = FIRST.filter((n) => names.includes(n));
  return [...first, ...names.filter((n) => !first.includes(n)).sort()];
}

async function insertRows(db: Kysely<Database> | Transaction<Database>, dialect: Store["dialect"], table: string, rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const perChunk = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  const override = dialect === "postgres" && AUTO_ID_TABLES.has(table) ? sql` overriding system value ` : sql` `;
  for (let i = 0; i < rows.length; i += perChunk) {
    const chunk = rows.slice(i, i + perChunk);
    const values = chunk.map((r) => sql`(${sql.join(columns.map((c) => r[c] ?? null))})`);
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})${override}values ${sql.join(values)}`.execute(db);
  }
  if (dialect === "postgres" && AUTO_ID_TABLES.has(table)) {
    await sql`select setval(pg_get_serial_sequence(${table}, 'id'), (select max(id) from ${sql.table(table)}))`.execute(db);
  }
}

/**
 * Copies a whole store into an empty one (migrated to the same version): resources and keys, signing keys,
 * identities with their revocation state, principals and secrets (hashed), roles, threads, numbers, outbox, calls,
 * the management plane, and the activity record. Rows keep their ids, so connection strings, identities and tokens
 * issued before the copy work against the new store. Run it with the source's servers stopped (or idle): rows
 * written during the copy may be missed.
 */
export async function copyStore(
  from: { store: Store; activity: ActivityStorage },
  to: { store: Store; activity: ActivityStorage },
): Promise<StoreCopyReport> {
  const existing = await to.store.db.selectFrom("resources").select("id").limit(1).execute();
  if (existing.length > 0) throw new Error("the destination store is not empty (it has resources); copy into a new database");
  const tables = await tablesOf(from.store);
  const report: StoreCopyReport = { tables: {}, activityEvents: 0 };
  await to.store.write(async (trx) => {
    for (const table of tables) {
      const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(from.store.db)).rows;
      await insertRows(trx, to.store.dialect, table, rows);
      report.tables[table] = rows.length;
    }
  });
  const events = (await sql<Record<string, unknown>>`select * from activity_events order by id`.execute(from.activity.db)).rows;
  if (to.activity.db === to.store.db) {
    await to.store.write((trx) => insertRows(trx, to.store.dialect, "activity_events", events));
  } else {
    await insertRows(to.activity.db, "sqlite", "activity_events", events);
  }
  report.activityEvents = events.length;
  return report;
}
