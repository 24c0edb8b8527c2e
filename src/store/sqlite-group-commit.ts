import { closeSync, fdatasync, openSync } from "node:fs";
import { sql, type Kysely, type SqliteDatabase, type Transaction } from "kysely";
import { withDirectConnection } from "./sqlite-direct.js";
import type { Database } from "./schema.js";

/** The writer's connection as the group commit uses it directly: statements prepared once per text (withStatementCache). */
type SqliteHandle = SqliteDatabase & { readonly inTransaction: boolean };

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Pending {
  /** A write through Kysely, in a savepoint of its own when it shares the batch. */
  fn?: (trx: Transaction<Database>) => Promise<unknown>;
  /** Or one INSERT run as a prepared statement: it needs no savepoint (a failing statement undoes only itself). */
  insert?: { sql: string; params: unknown[] };
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * Group commit for SQLite: writes queued within one turn of the event loop share one transaction, so one fsync
 * (synchronous=FULL) acknowledges many requests. Each write runs inside its own savepoint, so one failing write rolls
 * back only itself. Every promise settles only when its write is durable.
 *
 * With `walFile` (a file store with synchronous=FULL), the fsync leaves the request thread: the connection runs with
 * synchronous=NORMAL (in WAL mode: the WAL synced before each checkpoint and the database after it, nothing at
 * commit), and after COMMIT this class fdatasyncs the WAL on libuv's thread pool, acknowledging the batch only once
 * that returned. That is the sync synchronous=FULL would add at commit (https://sqlite.org/pragma.html#pragma_synchronous),
 * minus the blocking: the request thread serves the next requests (and commits the next batch) meanwhile. Other
 * connections may read a committed batch before it is acknowledged; a power loss in that window loses it, as it
 * would an unacknowledged write.
 */
export class SqliteGroupCommit {
  private queue: Pending[] = [];
  private running: Promise<void> | undefined;
  private readonly acks = new Set<Promise<void>>();
  private walFd: number | undefined;
  private syncing: Promise<void> | undefined;
  private syncQueued: Promise<void> | undefined;
  /** The INSERT text of each table's last column list: built once, not per row. */
  private readonly insertStatements = new Map<string, { columns: readonly string[]; sql: string }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: { walFile?: string; sqlite?: SqliteHandle } = {},
  ) {}

  run<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.enqueue({ fn }) as Promise<T>;
  }

  private enqueue(work: Pick<Pending, "fn" | "insert">): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...work, resolve, reject });
      if (this.running === undefined) this.running = new Promise((r) => setImmediate(r)).then(() => this.flushLoop());
    });
  }

  private runInsert(insert: NonNullable<Pending["insert"]>): void {
    this.options.sqlite!.prepare(insert.sql).run(insert.params);
  }

  /** A savepoint statement of the batch: straight on the writer's connection when there is a handle (several per write). */
  private async statement(trx: Transaction<Database>, text: "savepoint w" | "release w" | "rollback to w"): Promise<void> {
    if (this.options.sqlite !== undefined) this.options.sqlite.prepare(text).run([]);
    else await sql.raw(text).execute(trx);
  }

  /**
   * One row, in the next batch, as a prepared statement on the writer's connection: no query building, no savepoint
   * (SQLite undoes a failed statement alone and the transaction goes on, https://sqlite.org/lang_conflict.html). The
   * hot insert of createUserAndToken; without a raw handle (never the case for the store) it goes through Kysely.
   */
  insert(table: string, values: Readonly<Record<string, unknown>>): Promise<void> {
    if (this.options.sqlite === undefined) {
      return this.run(async (trx) => void (await trx.insertInto(table as keyof Database).values(values as never).execute()));
    }
    const columns = Object.keys(values);
    let statement = this.insertStatements.get(table);
    if (statement === undefined || !sameColumns(statement.columns, columns)) {
      const quoted = columns.map((c) => `"${c.replaceAll('"', '""')}"`).join(", ");
      statement = { columns, sql: `insert into "${table.replaceAll('"', '""')}" (${quoted}) values (${columns.map(() => "?").join(", ")})` };
      this.insertStatements.set(table, statement);
    }
    return this.enqueue({ insert: { sql: statement.sql, params: columns.map((c) => values[c]) } }) as Promise<void>;
  }

  /** Resolves once everything queued so far has been committed (and acknowledged). */
  async drain(): Promise<void> {
    while (this.running !== undefined || this.acks.size > 0) {
      if (this.running !== undefined) await this.running;
      await Promise.all([...this.acks]);
    }
  }

  /** Stops syncing the WAL (after drain). */
  close(): void {
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
  }

  /** An fdatasync of the WAL that starts after this call; concurrent callers share the next one. */
  private syncWal(): Promise<void> {
    if (this.syncing === undefined) {
      this.syncing = this.fdatasyncWal().finally(() => {
        this.syncing = undefined;
      });
      return this.syncing;
    }
    this.syncQueued ??= this.syncing
      .catch(() => undefined)
      .then(() => {
        this.syncQueued = undefined;
        return this.syncWal();
      });
    return this.syncQueued;
  }

  private fdatasyncWal(): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        this.walFd ??= openSync(this.options.walFile!, "r+");
      } catch (err) {
        reject(err); // the batch's waiters learn why (it committed, but is not known durable)
        return;
      }
      fdatasync(this.walFd, (err) => (err === null ? resolve() : reject(err)));
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.flush(this.queue.splice(0));
    } finally {
      this.running = undefined;
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    const outcomes: Outcome[] = [];
    try {
      await this.db.transaction().execute((trx) => {
        const sqlite = this.options.sqlite;
        return sqlite === undefined ? this.runBatch(trx, batch, outcomes) : withDirectConnection(trx, sqlite, () => this.runBatch(trx, batch, outcomes));
      });
    } catch (error) {
      // Nothing of this batch was committed (or the lone write failed): every waiter learns why.
      for (const item of batch) item.reject(error);
      return;
    }
    const settle = (): void =>
      batch.forEach((item, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) item.resolve(outcome.value);
        else item.reject(outcome.error);
      });
    if (this.options.walFile === undefined || !outcomes.some((o) => o.ok)) return settle();
    // Committed; durable once the WAL is synced. The next batch may commit meanwhile.
    const ack = this.syncWal().then(settle, (error: unknown) => {
      for (const item of batch) item.reject(error);
    });
    this.acks.add(ack);
    void ack.finally(() => this.acks.delete(ack));
  }

  /** The batch's writes inside its transaction: each in a savepoint of its own unless it is alone or a plain insert. */
  private async runBatch(trx: Transaction<Database>, batch: Pending[], outcomes: Outcome[]): Promise<void> {
    if (batch.length === 1 && batch[0]!.fn !== undefined) {
      // A lone write needs no savepoint: if it fails, the whole transaction rolls back with it.
      outcomes.push({ ok: true, value: await batch[0]!.fn(trx) });
      return;
    }
    for (const item of batch) {
      if (item.insert !== undefined) {
        try {
          this.runInsert(item.insert);
          outcomes.push({ ok: true, value: undefined });
        } catch (error) {
          // A constraint failure undoes the statement alone. An I/O or out-of-memory error may roll the whole
          // transaction back (https://sqlite.org/lang_transaction.html): then nothing of the batch stands.
          if (!this.options.sqlite!.inTransaction) throw error;
          outcomes.push({ ok: false, error });
        }
        continue;
      }
      await this.statement(trx, "savepoint w");
      try {
        const value = await item.fn!(trx);
        await this.statement(trx, "release w");
        outcomes.push({ ok: true, value });
      } catch (error) {
        await this.statement(trx, "rollback to w");
        await this.statement(trx, "release w");
        outcomes.push({ ok: false, error });
      }
    }
  }
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}
