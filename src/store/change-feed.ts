import type { Change, Store } from "./store.js";

/** Ids below the newest seen are read again for this long a window, because PostgreSQL may commit ids out of order. */
const REREAD_WINDOW = 256;
const KEEP_EVENTS_MS = 10 * 60_000;

export type ChangeListener = (changes: Change[]) => void;

/**
 * Delivers every committed change (revocations, deletions, key regenerations, signing-key rotations, role changes)
 * to this process's caches: this process's own writes at once, other processes' (the CLI, other replicas) by polling
 * the change_events table. Listeners must be idempotent: a change can be delivered more than once.
 */
export class ChangeFeed {
  private readonly listeners: ChangeListener[] = [];
  private lastId = 0;
  private readonly seen = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private lastPrune = 0;
  private healthy = true;

  constructor(
    private readonly store: Store,
    private readonly options: { pollMs: number; now: () => number; onError?: (err: unknown) => void },
  ) {
    store.onLocalChanges((changes) => this.dispatch(changes));
  }

  subscribe(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** True while the last poll reached the database. */
  get isHealthy(): boolean {
    return this.healthy;
  }

  async start(): Promise<void> {
    const row = await this.store.db
      .selectFrom("change_events")
      .select((eb) => eb.fn.max("id").as("max"))
      .executeTakeFirst();
    this.lastId = Number(row?.max ?? 0);
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads what other processes committed since the last poll. Exposed so a notification can trigger it early. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const rows = await this.store.db
        .selectFrom("change_events")
        .select(["id", "topic", "resource_id", "subject"])
        .where("id", ">", this.lastId - REREAD_WINDOW)
        .orderBy("id")
        .execute();
      const fresh: Change[] = [];
      for (const row of rows) {
        const id = Number(row.id);
        if (this.seen.has(id)) continue;
        this.seen.add(id);
        if (id > this.lastId) this.lastId = id;
        fresh.push({ topic: row.topic, resourceId: row.resource_id, subject: row.subject });
      }
      for (const id of this.seen) if (id <= this.lastId - REREAD_WINDOW) this.seen.delete(id);
      this.dispatch(fresh);
      this.healthy = true;
      await this.prune();
    } catch (err) {
      this.healthy = false;
      this.options.onError?.(err);
    } finally {
      this.polling = false;
    }
  }

  private dispatch(changes: Change[]): void {
    if (changes.length === 0) return;
    for (const listener of this.listeners) listener(changes);
  }

  private async prune(): Promise<void> {
    const now = this.options.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    await this.store.write(async (trx) => {
      await trx.deleteFrom("change_events").where("created_at", "<", now - KEEP_EVENTS_MS).execute();
    });
  }
}
