import type { Store } from "./store.js";

export interface ReadinessOptions {
  /** How long the database round trip may take before the process counts as not ready. */
  timeoutMs?: number;
  /** How long one answer is reused (load balancers probe often; the database is asked at most this often). */
  cacheMs?: number;
}

/**
 * Readiness for load balancers: can this process reach its database right now? A `select 1` with a short timeout,
 * its answer cached for a second; concurrent probes share one round trip.
 */
export class ReadinessProbe {
  private answer: { ready: boolean; at: number } | undefined;
  private inFlight: Promise<boolean> | undefined;
  private readonly timeoutMs: number;
  private readonly cacheMs: number;

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    options: ReadinessOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 1_000;
    this.cacheMs = options.cacheMs ?? 1_000;
  }

  async ready(): Promise<boolean> {
    const cached = this.answer;
    if (cached !== undefined && this.now() - cached.at < this.cacheMs) return cached.ready;
    if (this.inFlight === undefined) {
      this.inFlight = this.store
        .ping(this.timeoutMs)
        .then((ready) => {
          this.answer = { ready, at: this.now() };
          return ready;
        })
        .finally(() => {
          this.inFlight = undefined;
        });
    }
    return this.inFlight;
  }
}
