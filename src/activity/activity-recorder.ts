import { randomUUID } from "node:crypto";
import type { Clock } from "../util/clock.js";
import { bucketOf } from "./activity-bucket.js";
import { identitiesOf, principalName, sanitizeFields, type ActivityInput } from "./activity-event.js";
import type { ActivityRepository } from "./activity-repository.js";
import { ActivityRows } from "./activity-rows.js";

export interface ActivityRecorderOptions {
  /** false: record() does nothing (the benchmark's "off" side). */
  enabled: boolean;
  /** Rows waiting to be written; past this, new rows are dropped and counted. */
  queueLimit: number;
  /** Rows per insert. */
  batchSize: number;
  /** How long a row may wait for companions before a write is started. */
  flushIntervalMs: number;
  onError?: (err: unknown) => void;
}

export type DropReason = "queue_full" | "write_failed";

/** Counters the metrics read (monotonic, per process). */
export interface ActivityRecorderStats {
  written: number;
  dropped: Record<DropReason, number>;
  queued: number;
}

/**
 * Appends activity events off the request path: record() only puts rows on a bounded in-memory queue; a background
 * flush writes them in batches through the store's group-committed writes. A full queue or a failed write drops
 * rows and counts them; record() never blocks, throws or waits.
 */
export class ActivityRecorder {
  private readonly queue = ActivityRows.empty();
  private timer: NodeJS.Timeout | undefined;
  private timerIsImmediate = false;
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** flush() in progress: write everything, not only full batches. */
  private draining = false;
  readonly stats: ActivityRecorderStats = { written: 0, dropped: { queue_full: 0, write_failed: 0 }, queued: 0 };

  constructor(
    private readonly repository: ActivityRepository,
    private readonly clock: Clock,
    private readonly options: ActivityRecorderOptions,
  ) {}

  private readonly observers: Array<(identities: readonly string[]) => void> = [];

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** Calls `observer` with the identities of every recorded event, even when recording is off (active-identity gauge). */
  observe(observer: (identities: readonly string[]) => void): void {
    this.observers.push(observer);
  }

  /**
   * Records one event under every identity it concerns and every extra key it names (`input.keys`). Events that
   * concern no identity and name no key are not kept.
   */
  record(input: ActivityInput): void {
    try {
      let identities = identitiesOf(input);
      if (identities.length > 0) for (const observer of this.observers) observer(identities);
      if (input.keys !== undefined && input.keys.length > 0) identities = [...identities, ...input.keys.filter((k) => !identities.includes(k)).slice(0, 4)];
      if (identities.length === 0) return;
      if (!this.options.enabled) return;
      if (this.closed || this.queue.length + identities.length > this.options.queueLimit) {
        this.stats.dropped.queue_full += identities.length;
        return;
      }
      const fields = sanitizeFields(input.fields);
      this.queue.pushEvent(identities, bucketOf, {
        // A request is one event: its request id (x-ms-request-id) is the event id.
        event_id: input.requestId ?? randomUUID(),
        time: input.time ?? this.clock.now(),
        resource_id: input.resourceId,
        operation: input.operation.slice(0, 128),
        status: input.status ?? null,
        error_code: input.errorCode ?? null,
        principal: principalName(input.principal) ?? null,
        subjects: JSON.stringify((input.subjects ?? []).slice(0, 100)),
        fields: fields === undefined ? null : JSON.stringify(fields),
      });
      this.stats.queued = this.queue.length;
      this.schedule();
    } catch (err) {
      // A malformed event from a caller must never break the request that recorded it.
      this.stats.dropped.write_failed++;
      this.options.onError?.(err);
    }
  }

  /** Writes everything queued so far; resolves when it is durable (or dropped). */
  async flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.draining = true;
    try {
      while (this.flushing !== undefined || this.queue.length > 0) {
        if (this.flushing === undefined) this.flushing = this.writeAll();
        await this.flushing;
      }
    } finally {
      this.draining = false;
    }
  }

  /** Stops accepting events and writes the rest (Switchboard.close). */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** A write after the interval, or at once when a full batch is waiting. */
  private schedule(): void {
    if (this.flushing !== undefined) return;
    const full = this.queue.length >= this.options.batchSize;
    if (this.timer !== undefined) {
      if (!full || this.timerIsImmediate) return;
      clearTimeout(this.timer);
    }
    this.timerIsImmediate = full;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.flushing ??= this.writeAll();
      },
      full ? 0 : this.options.flushIntervalMs,
    );
    this.timer.unref();
  }

  /**
   * Writes the queue in batches. Under load it does not chase every new row: once the queue holds less than a full
   * batch, the rest waits for the next interval, so rows reach the store in few, large inserts (each commit rewrites
   * the pages it touches; many small inserts would rewrite the table's last page and index pages again and again).
   */
  private async writeAll(): Promise<void> {
    let first = true;
    try {
      while (this.queue.length > 0 && (first || this.closed || this.draining || this.queue.length >= this.options.batchSize)) {
        first = false;
        const batch = this.queue.take(this.options.batchSize);
        this.stats.queued = this.queue.length;
        try {
          await this.repository.append(batch);
          this.stats.written += batch.length;
        } catch (err) {
          this.stats.dropped.write_failed += batch.length;
          this.options.onError?.(err);
        }
      }
    } finally {
      this.flushing = undefined;
      this.stats.queued = this.queue.length;
    }
    // Rows queued while the last batch was being written wait for the next tick of the timer.
    if (this.queue.length > 0 && !this.closed && !this.draining) this.schedule();
  }
}
