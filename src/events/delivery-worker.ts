import type { Logger } from "pino";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import type { EventsConfig } from "./events-config.js";
import { EventsRepository, type EventDeliveryRow } from "./events-repository.js";

type DeliveryRow = EventDeliveryRow;

/** Injectable timer, so tests (and a clock-driven scheduler) decide when the worker runs. */
export interface WorkerTimer {
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export const realTimer: WorkerTimer = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** A wake runs the next pass this soon, not at once: events committed meanwhile go out in the same batch. */
const WAKE_DELAY_MS = 20;

type Outcome = { ok: true } | { ok: false; error: string; deadNow: boolean };

/** A retry schedule other than `events.retryDelaysMs` / `events.maxAttempts` for some subscriptions (the SMS webhooks). */
export type RetryPolicyFor = (subscriptionId: string) => { delaysMs: readonly number[]; maxAttempts: number } | undefined;

/**
 * Delivers the event outbox: claims due rows (PostgreSQL `FOR UPDATE SKIP LOCKED`, so each row goes to one replica;
 * SQLite: the claim is one serialized write), POSTs them per subscription in batches, deletes what a 2xx accepted and
 * reschedules the rest on the retry schedule. A claim is a lease: rows of a worker killed mid-delivery become due
 * again when it runs out, so delivery is at least once. 400 and 413 answers dead-letter at once (as Event Grid does);
 * attempts or age running out dead-letter too.
 */
export class DeliveryWorker {
  private handle: { cancel(): void } | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly repository: EventsRepository;
  /** Woken while a pass ran: run another one at once after it. */
  private woken = false;
  /** The last pass found a quarter of a batch or more: wakes wait for the poll. */
  private busy = false;
  /** When the scheduled pass runs (performance.now()). */
  private dueAt = 0;

  constructor(
    store: Store,
    private readonly clock: Clock,
    private readonly config: EventsConfig,
    private readonly log: Logger,
    private readonly timer: WorkerTimer = realTimer,
    private readonly retryPolicyFor?: RetryPolicyFor,
  ) {
    this.repository = new EventsRepository(store);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.handle?.cancel();
    this.handle = undefined;
    await this.running;
  }

  /**
   * Events were just committed (in this process, or by any process on PostgreSQL, through NOTIFY): deliver them now
   * rather than at the next poll. Wakes coalesce (a pass runs 20 ms after the first), and are ignored while the
   * worker is busy (its last pass claimed a quarter of a batch or more); the poll stays as the fallback.
   */
  wake(): void {
    // Under load (the last pass found a good part of a batch) the poll's cadence batches better than wakes would.
    if (this.stopped || this.busy) return;
    if (this.running !== undefined) {
      this.woken = true;
      return;
    }
    if (this.handle !== undefined && this.dueAt <= performance.now() + WAKE_DELAY_MS) return; // due soon enough
    this.handle?.cancel();
    this.schedule(WAKE_DELAY_MS);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.dueAt = performance.now() + ms;
    this.handle = this.timer.setTimeout(() => {
      this.handle = undefined;
      this.woken = false;
      this.running = this.drain()
        .catch((err: unknown) => this.log.warn({ err: { message: (err as Error).message } }, "event delivery pass failed"))
        .finally(() => {
          this.running = undefined;
          this.schedule(this.woken ? WAKE_DELAY_MS : this.config.pollMs);
        });
    }, ms);
  }

  /** Delivers until nothing is due (a full batch means more may be waiting). */
  private async drain(): Promise<void> {
    let claimed: number;
    let total = 0;
    while (!this.stopped && (claimed = await this.runOnce(), total += claimed, claimed >= this.config.batchSize)) {
      /* next batch */
    }
    this.busy = total >= this.config.batchSize / 4;
  }

  /** One pass: claim up to batchSize due rows and deliver them. Returns how many were claimed. */
  async runOnce(): Promise<number> {
    const rows = await this.claim();
    if (rows.length === 0) return 0;
    const bySubscription = new Map<string, DeliveryRow[]>();
    for (const r of rows) bySubscription.set(r.subscription_id, [...(bySubscription.get(r.subscription_id) ?? []), r]);
    const subs = await this.repository.deliveryTargets([...bySubscription.keys()]);
    const byId = new Map(subs.map((s) => [s.id, s]));
    await Promise.all(
      [...bySubscription].map(async ([subId, batch]) => {
        const sub = byId.get(subId);
        const outcome: Outcome = sub === undefined ? { ok: false, error: "subscription deleted", deadNow: true } : await this.post(sub.endpoint, sub.schema, batch);
        await this.settle(batch, outcome);
      }),
    );
    return rows.length;
  }

  private async claim(): Promise<DeliveryRow[]> {
    const now = this.clock.now();
    const leaseUntil = now + this.config.timeoutMs + 5_000;
    return this.repository.claimDue(now, leaseUntil, this.config.batchSize);
  }

  private async post(endpoint: string, schema: string, batch: DeliveryRow[]): Promise<Outcome> {
    const body = `[${batch.map((r) => r.body).join(",")}]`;
    const headers: Record<string, string> =
      schema === "cloudevents"
        ? { "content-type": "application/cloudevents-batch+json; charset=utf-8" }
        : { "content-type": "application/json", "aeg-event-type": "Notification" };
    headers["aeg-delivery-count"] = String(batch[0]!.attempts);
    try {
      const res = await fetch(endpoint, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(this.config.timeoutMs) });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true };
      return { ok: false, error: `HTTP ${res.status}`, deadNow: res.status === 400 || res.status === 413 };
    } catch (err) {
      return { ok: false, error: (err as Error).name === "TimeoutError" ? "timeout" : "connection failed", deadNow: false };
    }
  }

  private async settle(batch: DeliveryRow[], outcome: Outcome): Promise<void> {
    const ids = batch.map((r) => Number(r.id));
    if (outcome.ok) {
      await this.repository.deleteDeliveries(ids);
      return;
    }
    const now = this.clock.now();
    const policy = this.retryPolicyFor?.(batch[0]!.subscription_id);
    const delays = policy?.delaysMs ?? this.config.retryDelaysMs;
    const maxAttempts = policy?.maxAttempts ?? this.config.maxAttempts;
    let dead = 0;
    await this.repository.updateDeliveries(
      batch.map((r) => {
        const attempts = Number(r.attempts) + 1;
        const expired = outcome.deadNow || attempts >= maxAttempts || now - Number(r.created_at) >= this.config.maxAgeMs;
        if (expired) dead++;
        return {
          id: Number(r.id),
          set: expired
            ? { attempts, status: "dead", dead_at: now, claimed_until: null, last_error: outcome.error }
            : { attempts, next_attempt_at: now + delays[Math.min(attempts - 1, delays.length - 1)]!, claimed_until: null, last_error: outcome.error },
        };
      }),
    );
    this.log.info({ events: batch.length, deadLettered: dead, outcome: outcome.error, subscription: batch[0]!.subscription_id }, "event delivery failed");
  }
}
