import type { ChangeNotifications } from "./pg-change-listener.js";
import type { Change, Store } from "./store.js";

/** Ids below the newest seen are read again for this long a window, because PostgreSQL may commit ids out of order. */
const REREAD_WINDOW = 256;
/** How long change_events rows are kept: a process that could not poll for longer may have missed some. */
export const KEEP_EVENTS_MS = 10 * 60_000;
/** A process that has not polled successfully for this long resets its caches instead of trusting the catch-up. */
const CATCH_UP_LIMIT_MS = KEEP_EVENTS_MS - 60_000;

/**
 * The topic of the change a feed delivers when it may have missed changes (it could not read the feed for longer than
 * events are kept): every listener must then treat all of its cached state as stale.
 */
export const FEED_RESET = "feed.reset";

export type ChangeListener = (changes: Change[]) => void;

/**
 * Delivers every committed change (revocations, deletions, key regenerations, signing-key rotations, role changes)
 * to this process's caches: this process's own writes at once, other processes' (the CLI, other replicas) by reading
 * the change_events table, right away when PostgreSQL notifies a commit and every `pollMs` in any case (the fallback
 * that works without notifications, e.g. while the LISTEN connection reconnects, and on SQLite).
 *
 * After a failed poll nothing is lost: events stay in the table and the next successful poll delivers everything
 * after the last id seen. Only if the feed was blind for longer than events are kept does it deliver FEED_RESET.
 * Listeners must be idempotent: a change can be delivered more than once.
 */
export class ChangeFeed {
  private readonly listeners: ChangeListener[] = [];
  private lastId = 0;
  private readonly seen = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private lastPrune = 0;
  private lastSuccessAt = 0;
  private healthy = true;
  private notifications: ChangeNotifications | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: { pollMs: number; now: () => number; onError?: (err: unknown) => void },
  ) {
    store.onLocalChanges((changes, ids) => {
      // Delivered now; the poll that reads them back from the table must not deliver them again. A poll that read
      // them between the commit and this call (PostgreSQL: another connection sees the commit first) has already
      // delivered them: those are not delivered twice.
      const fresh = changes.filter((_, i) => ids[i] === undefined || !this.seen.has(ids[i]!));
      for (const id of ids) this.seen.add(id);
      if (fresh.length > 0) this.dispatch(fresh);
    });
  }

  subscribe(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** True while the last poll reached the database. */
  get isHealthy(): boolean {
    return this.healthy;
  }

  /** The PostgreSQL LISTEN connection delivering commit notifications, if any (none on SQLite). */
  get notificationListener(): ChangeNotifications | undefined {
    return this.notifications;
  }

  async start(): Promise<void> {
    const row = await this.store.db
      .selectFrom("change_events")
      .select((eb) => eb.fn.max("id").as("max"))
      .executeTakeFirst();
    this.lastId = Number(row?.max ?? 0);
    this.lastSuccessAt = this.options.now();
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
    this.notifications = this.store.listenForChanges({
      onNotify: () => void this.poll(),
      onConnect: () => void this.poll(),
      onError: (err) => this.options.onError?.(err),
    });
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    void this.notifications?.close();
    this.notifications = undefined;
  }

  /**
   * Reads what other processes committed since the last poll. A call during a poll makes that poll run once more,
   * so a notification is never swallowed by a read that started before its commit. Never rejects.
   */
  poll(): Promise<void> {
    if (this.polling !== undefined) {
      this.pollAgain = true;
      return this.polling;
    }
    this.polling = (async () => {
      do {
        this.pollAgain = false;
        await this.pollOnce();
      } while (this.pollAgain);
    })().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    try {
      const rows = await this.store.db
        .selectFrom("change_events")
        .select(["id", "topic", "resource_id", "subject"])
        .where("id", ">", this.lastId - REREAD_WINDOW)
        .orderBy("id")
        .execute();
      const now = this.options.now();
      const fresh: Change[] = [];
      if (now - this.lastSuccessAt > CATCH_UP_LIMIT_MS) fresh.push({ topic: FEED_RESET });
      this.lastSuccessAt = now;
      for (const row of rows) {
        const id = Number(row.id);
        if (id > this.lastId) this.lastId = id;
        if (this.seen.has(id)) continue;
        this.seen.add(id);
        fresh.push({ topic: row.topic, resourceId: row.resource_id, subject: row.subject });
      }
      for (const id of this.seen) if (id <= this.lastId - REREAD_WINDOW) this.seen.delete(id);
      this.healthy = true;
      this.dispatch(fresh);
      await this.prune();
    } catch (err) {
      this.healthy = false;
      this.options.onError?.(err);
    }
  }

  private dispatch(changes: Change[]): void {
    if (changes.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(changes);
      } catch (err) {
        this.options.onError?.(err);
      }
    }
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
