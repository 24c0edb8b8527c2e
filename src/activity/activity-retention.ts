import type { Clock, ClockTimer } from "../util/clock.js";
import type { ActivityRepository } from "./activity-repository.js";

export interface RetentionPolicy {
  /** Events older than this many days go. */
  maxAgeDays: number;
  /** At most this many rows are kept; the oldest go first. */
  maxRows: number;
  /** How often the server enforces the policy. */
  intervalSeconds: number;
}

const DAY_MS = 24 * 60 * 60_000;

/** Enforces the retention policy in the background: oldest events first, by age, then by count. */
export class ActivityRetention {
  private timer: ClockTimer | undefined;
  private running: Promise<{ expired: number; trimmed: number }> | undefined;

  constructor(
    private readonly repository: ActivityRepository,
    private readonly clock: Clock,
    private readonly policy: RetentionPolicy,
    private readonly onError?: (err: unknown) => void,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    // Every intervalSeconds of the clock's time; the next pass is armed when this one is due, not when it ends.
    const arm = (): void => {
      this.timer = this.clock.setTimeout(() => {
        arm();
        this.enforce().catch((err: unknown) => this.onError?.(err));
      }, this.policy.intervalSeconds * 1000);
    };
    arm();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One pass; concurrent calls share it. Resolves with how many rows went. */
  enforce(): Promise<{ expired: number; trimmed: number }> {
    this.running ??= (async () => {
      try {
        const expired = await this.repository.deleteOlderThan(this.clock.now() - this.policy.maxAgeDays * DAY_MS);
        const trimmed = await this.repository.trimTo(this.policy.maxRows);
        return { expired, trimmed };
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Waits for a pass in progress (shutdown). */
  async settle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }
}
