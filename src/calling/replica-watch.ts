import type { Logger } from "pino";
import { ReplicaRepository } from "../realtime/replica-repository.js";
import type { Store } from "../store/store.js";
import type { CallCoordinator } from "./call-coordinator.js";

/** Injectable timer (real time: the heartbeat is about processes being alive, not about the call clock). */
export interface WatchTimer {
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

const realTimer: WatchTimer = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

export interface ReplicaWatchOptions {
  store: Store;
  coordinator: CallCoordinator;
  replica: string;
  log: Logger;
  heartbeatMs: number;
  timeoutMs: number;
  timer?: WatchTimer;
}

/** Replicas silent for this many timeouts lose their heartbeat row (their calls were closed long before). */
const FORGET_AFTER_TIMEOUTS = 10;

/**
 * Keeps this process's heartbeat in `realtime_replicas` and, after each beat, lets the call coordinator end what
 * replicas whose heartbeat is older than `timeoutMs` left behind (docs/realtime.md, "When a replica dies"). The first
 * beat runs at start: a process restarted after a crash closes the calls its previous life left open.
 */
export class ReplicaWatch {
  private readonly registry: ReplicaRepository;
  private handle: { cancel(): void } | undefined;
  private running: Promise<void> = Promise.resolve();
  private closed = false;
  private ticks = 0;
  private readonly timer: WatchTimer;

  constructor(private readonly options: ReplicaWatchOptions) {
    this.registry = new ReplicaRepository(options.store);
    this.timer = options.timer ?? realTimer;
  }

  start(): void {
    this.schedule(0);
  }

  /** One beat and sweep (tests call it directly). */
  async tick(): Promise<void> {
    const { registry, options } = this;
    await registry.beat(options.replica);
    const live = await registry.live(options.timeoutMs);
    await options.coordinator.sweepLostReplicas(live);
    if (this.ticks++ % 50 === 0) await registry.forget(undefined, options.timeoutMs * FORGET_AFTER_TIMEOUTS);
  }

  /** Stops beating and removes this replica's row (after its calls were ended and saved: a clean stop). */
  async close(): Promise<void> {
    this.closed = true;
    this.handle?.cancel();
    await this.running;
    await this.registry.forget(this.options.replica, this.options.timeoutMs * FORGET_AFTER_TIMEOUTS).catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.handle = this.timer.setTimeout(() => {
      this.running = this.tick()
        .catch((err: unknown) => this.options.log.warn({ op: "calling.replicaWatch", err: { message: (err as Error).message } }, "replica heartbeat failed"))
        .finally(() => this.schedule(this.options.heartbeatMs));
    }, ms);
  }
}
