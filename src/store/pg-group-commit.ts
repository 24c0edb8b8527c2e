import type { InsertObject, Kysely, Transaction } from "kysely";
import type { Database } from "./schema.js";

type Row = { table: keyof Database; values: InsertObject<Database, keyof Database> };

interface Pending {
  fn: (trx: Transaction<Database>) => Promise<unknown>;
  /** Set for Store.insert: the group writes the rows of one table with one multi-row INSERT. */
  row?: Row;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/** Writes per group at most: a group holds one connection for (writes + 2) round trips. */
const MAX_GROUP = 64;

/**
 * Group commit for PostgreSQL: the writes queued within one turn of the event loop run one after another in one
 * transaction on one pooled connection: BEGIN, each write's statements, COMMIT. A request then costs its own
 * statements plus a share of BEGIN/COMMIT (and of the WAL flush), instead of three round trips and a commit of its own.
 * At most `maxGroups` groups are in flight at once; writes arriving meanwhile wait for the next free group, which is
 * how groups grow under load. Every promise settles only after COMMIT returned, i.e. when its write is durable.
 *
 * A failing write must fail only itself. PostgreSQL aborts the whole transaction at the first error, so a group in
 * which any write failed (or swallowed a failed statement, which turns COMMIT into ROLLBACK) is rolled back as a
 * whole, and then every write of that group runs again alone, in a transaction of its own, exactly as without group
 * commit: so a write function may run more than once, and must have no effect outside its transaction other than
 * its return value (Store.write's contract). Nothing is run again when the outcome is unknown (COMMIT sent and the
 * connection lost): those writes all fail with that error, as a lone transaction would.
 */
export class PgGroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly idle: Array<() => void> = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxGroups: number,
  ) {}

  run<T>(fn: (trx: Transaction<Database>) => Promise<T>, row?: Row): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, ...(row !== undefined ? { row } : {}), resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /**
   * Inserts one row: the rows of a group that go to the same table are written by one multi-row INSERT, so a request
   * whose write is a single insert (createUserAndToken's identity) costs no round trip of its own.
   */
  insert<T extends keyof Database>(table: T, values: InsertObject<Database, T>): Promise<void> {
    const row = { table, values } as Row;
    return this.run(async (trx) => void (await trx.insertInto(row.table).values(row.values).execute()), row);
  }

  /** Resolves once everything queued so far has been committed (or has failed). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight > 0) await new Promise<void>((r) => this.idle.push(r));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxGroups || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.start();
    });
  }

  private start(): void {
    while (this.inFlight < this.maxGroups && this.queue.length > 0) {
      const group = this.queue.splice(0, MAX_GROUP);
      this.inFlight++;
      void this.commit(group).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
        else if (this.inFlight === 0) for (const wake of this.idle.splice(0)) wake();
      });
    }
  }

  private async commit(group: Pending[]): Promise<void> {
    if (group.length === 1) return this.alone(group[0]!);
    const values: unknown[] = [];
    // True once every write returned: an error after that is COMMIT's own.
    let written = false;
    try {
      await this.db.transaction().execute(async (trx) => {
        const rows = new Map<keyof Database, Row["values"][]>();
        for (const item of group) {
          if (item.row === undefined) continue;
          const list = rows.get(item.row.table);
          if (list === undefined) rows.set(item.row.table, [item.row.values]);
          else list.push(item.row.values);
        }
        for (const [table, list] of rows) await trx.insertInto(table).values(list).execute();
        for (const item of group) values.push(item.row !== undefined ? undefined : await item.fn(trx));
        written = true;
      });
    } catch (error) {
      // A write failed (nothing of the group is committed) or COMMIT found the transaction aborted by a statement
      // that a write caught: run each alone. Any other failure of COMMIT leaves the outcome unknown: report it.
      if (!written || isAborted(error)) return void (await Promise.all(group.map((item) => this.alone(item))));
      for (const item of group) item.reject(error);
      return;
    }
    group.forEach((item, i) => item.resolve(values[i]));
  }

  private alone(item: Pending): Promise<void> {
    return this.db
      .transaction()
      .execute((trx) => item.fn(trx))
      .then(item.resolve, item.reject);
  }
}

function isAborted(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortedTransactionError";
}
