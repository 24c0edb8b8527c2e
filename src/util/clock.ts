/** A pending callback of a Clock; `cancel` is idempotent. */
export interface ClockTimer {
  cancel(): void;
}

/**
 * Injectable time source: domain code never calls Date.now() or setTimeout directly, so tests can freeze time and
 * move it on (token expiry on sockets, ringing, retention passes, webhook backoff all wait on the clock).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once `ms` of this clock's time have passed. Never keeps the process alive on its own. */
  setTimeout(fn: () => void, ms: number): ClockTimer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

export interface FixedClock extends Clock {
  /**
   * Moves time on by `ms`, stopping at each timer that comes due on the way (now() reads its due time while it runs,
   * so a timer it sets counts from there), and ends at the new time.
   */
  advance(ms: number): void;
  /** Sets the time: forwards as `advance` does, backwards without running anything. */
  set(ms: number): void;
  /** How many timers wait for their time. */
  readonly pending: number;
}

/** A clock for tests: starts at `start` and moves only when told; its timers fire only when time is moved past them. */
export function createFixedClock(start: number): FixedClock {
  let current = start;
  let sequence = 0;
  const timers = new Map<number, { due: number; fn: () => void }>();
  /** Runs the timers due by `until` in due order (ties: the order they were set), moving now() to each. */
  const runUntil = (until: number): void => {
    for (;;) {
      let next: [number, { due: number; fn: () => void }] | undefined;
      for (const entry of timers) {
        if (entry[1].due <= until && (next === undefined || entry[1].due < next[1].due)) next = entry;
      }
      if (next === undefined) break;
      timers.delete(next[0]);
      current = Math.max(current, next[1].due);
      next[1].fn();
    }
    current = until;
  };
  return {
    now: () => current,
    setTimeout: (fn, ms) => {
      const id = sequence++;
      timers.set(id, { due: current + Math.max(0, ms), fn });
      return { cancel: () => void timers.delete(id) };
    },
    advance: (ms) => runUntil(current + ms),
    set: (ms) => {
      if (ms >= current) runUntil(ms);
      else current = ms;
    },
    get pending() {
      return timers.size;
    },
  };
}
