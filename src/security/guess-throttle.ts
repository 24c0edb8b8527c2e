/**
 * Throttles guessing (client secrets, passwords): every attempt counts as a failure until it succeeds, so parallel
 * guesses are counted before their hashes are computed. Past `freeFailures` failures a key is locked out for an
 * exponentially growing time (base × 2^n, capped); a success clears the key. Memory is bounded (oldest keys go).
 */
export interface GuessThrottleOptions {
  /** Failures a key may have before it is locked out (may differ per kind of key: client, user, source). */
  freeFailures: (key: string) => number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failures older than this are forgotten. */
  windowMs: number;
  maxKeys?: number;
  now: () => number;
}

interface Entry {
  failures: number;
  lastAt: number;
  lockedUntil: number;
}

export class GuessThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: GuessThrottleOptions) {}

  /**
   * Registers an attempt for every key. Returns the seconds to wait when any key is locked out (nothing is counted
   * then), or undefined when the attempt may go ahead (it is counted as a failure until `succeeded`).
   */
  attempt(keys: readonly string[]): number | undefined {
    const now = this.options.now();
    let wait = 0;
    for (const key of keys) {
      const e = this.fresh(key, now);
      if (e !== undefined && e.lockedUntil > now) wait = Math.max(wait, e.lockedUntil - now);
    }
    if (wait > 0) return Math.max(1, Math.ceil(wait / 1000));
    for (const key of keys) {
      const e = this.fresh(key, now) ?? { failures: 0, lastAt: now, lockedUntil: 0 };
      e.failures++;
      e.lastAt = now;
      // The attempt that uses up the free failures still goes ahead; the next one waits.
      const over = e.failures - this.options.freeFailures(key) + 1;
      if (over > 0) e.lockedUntil = now + Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(over - 1, 30));
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    const max = this.options.maxKeys ?? 100_000;
    while (this.entries.size > max) this.entries.delete(this.entries.keys().next().value as string);
    return undefined;
  }

  /** The attempt succeeded: its keys start afresh. */
  succeeded(keys: readonly string[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  /** The attempt succeeded, but the key (a source address) is shared: only this attempt's count is taken back. */
  forgive(keys: readonly string[]): void {
    for (const key of keys) {
      const e = this.entries.get(key);
      if (e === undefined) continue;
      e.failures = Math.max(0, e.failures - 1);
      if (e.failures === 0 && e.lockedUntil <= this.options.now()) this.entries.delete(key);
    }
  }

  private fresh(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (now - e.lastAt > this.options.windowMs && e.lockedUntil <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }
}

/**
 * At most `concurrency` hashes at a time and at most `queueLimit` waiting: a flood of guesses cannot occupy every
 * libuv thread nor grow an unbounded queue ahead of a genuine request. Beyond the queue: HashQueueFull.
 */
export class HashQueueFull extends Error {
  constructor() {
    super("the secret-hashing queue is full");
    this.name = "HashQueueFull";
  }
}

export class HashQueue {
  private running = 0;
  private waitingCount = 0;
  /** Waiters per key (a source address), served round-robin: one key's flood waits behind its own requests only. */
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(
    private readonly concurrency: number,
    private readonly queueLimit: number,
  ) {}

  async run<T>(work: () => Promise<T>, key = ""): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waitingCount >= this.queueLimit) throw new HashQueueFull();
      await new Promise<void>((resolve) => {
        const list = this.waiting.get(key);
        if (list === undefined) this.waiting.set(key, [resolve]);
        else list.push(resolve);
        this.waitingCount++;
      });
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      this.next();
    }
  }

  /** Hands the slot to the first waiter of the next key (the map's order rotates: a served key goes to the back). */
  private next(): void {
    const first = this.waiting.entries().next();
    if (first.done === true) {
      this.running--;
      return;
    }
    const [key, list] = first.value;
    const resolve = list.shift()!;
    this.waiting.delete(key);
    if (list.length > 0) this.waiting.set(key, list);
    this.waitingCount--;
    resolve();
  }
}
