import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "./schema.js";

interface Pending {
  fn: (trx: Transaction<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * Group commit for SQLite: writes queued within one turn of the event loop share one transaction, so one fsync
 * (synchronous=FULL) acknowledges many requests. Each write runs inside its own savepoint, so one failing write rolls
 * back only itself. Every promise settles only after COMMIT returned, i.e. when its write is durable.
 */
export class SqliteGroupCommit {
  private queue: Pending[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly db: Kysely<Database>) {}

  run<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.running === undefined) this.running = new Promise((r) => setImmediate(r)).then(() => this.flushLoop());
    });
  }

  /** Resolves once everything queued so far has been committed. */
  async drain(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.flush(this.queue.splice(0));
    } finally {
      this.running = undefined;
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        if (batch.length === 1) {
          // A lone write needs no savepoint: if it fails, the whole transaction rolls back with it.
          outcomes.push({ ok: true, value: await batch[0]!.fn(trx) });
          return;
        }
        for (const item of batch) {
          await sql`savepoint w`.execute(trx);
          try {
            const value = await item.fn(trx);
            await sql`release w`.execute(trx);
            outcomes.push({ ok: true, value });
          } catch (error) {
            await sql`rollback to w`.execute(trx);
            await sql`release w`.execute(trx);
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // Nothing of this batch was committed (or the lone write failed): every waiter learns why.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
