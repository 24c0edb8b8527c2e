import type { Server } from "node:http";
import type { IdentityStateCache } from "../identity/identity-state-cache.js";
import type { Store } from "../store/store.js";
import { CallCoordinator, type CallEventListener } from "./call-coordinator.js";
import { CallRepository } from "./call-repository.js";
import { ReplicaWatch } from "./replica-watch.js";
import { SignalingServer, type SignalingDeps } from "./signaling-server.js";

/** What calling needs from the composition root (app.ts), and nothing more: no `Core`. */
export interface CallingDeps extends SignalingDeps {
  store: Store;
  identityStates: IdentityStateCache;
}

/** The calling feature's live part: the signaling endpoint and the call event hook (routes: callingRoutes). */
export interface Calling {
  /** Takes WebSocket upgrades on the signaling path of `server` (the HTTPS listener). */
  attach(server: Server): void;
  /** Per-participant call events (joined, left, missed, callEnded …): connect the activity record here. */
  onCallEvent(listener: CallEventListener): void;
  readonly repository: CallRepository;
  readonly signaling: SignalingServer;
  /** Ends live calls (reason serverShutdown), saves their records and closes the sockets. */
  close(): Promise<void>;
}

export function createCalling(deps: CallingDeps): Calling {
  const repository = new CallRepository(deps.store);
  const coordinator = new CallCoordinator({
    config: deps.config,
    clock: deps.clock,
    log: deps.log,
    calls: repository,
    identityStates: deps.identityStates,
    bus: deps.bus,
  });
  const signaling = new SignalingServer(deps, coordinator);
  // Liveness of the replica holding each call (docs/realtime.md): heartbeats, and survivors closing what a dead one left.
  const watch =
    deps.bus === undefined
      ? undefined
      : new ReplicaWatch({
          store: deps.store,
          coordinator,
          replica: deps.bus.replica,
          log: deps.log,
          heartbeatMs: deps.config.replicaHeartbeatMs,
          timeoutMs: deps.config.replicaTimeoutMs,
        });
  watch?.start();
  return {
    attach: (server) => signaling.attach(server),
    onCallEvent: (listener) => coordinator.onCallEvent(listener),
    repository,
    signaling,
    close: async () => {
      await signaling.close();
      await watch?.close();
    },
  };
}
