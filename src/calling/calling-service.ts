import type { Server } from "node:http";
import type { Core } from "../app.js";
import { CallCoordinator, type CallEventListener } from "./call-coordinator.js";
import { CallRepository } from "./call-repository.js";
import { SignalingServer } from "./signaling-server.js";

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

export function createCalling(core: Core): Calling {
  const repository = new CallRepository(core.store);
  const coordinator = new CallCoordinator({
    config: core.config.calling,
    clock: core.clock,
    log: core.log,
    calls: repository,
    identityStates: core.identityStates,
  });
  const signaling = new SignalingServer(core, coordinator);
  return {
    attach: (server) => signaling.attach(server),
    onCallEvent: (listener) => coordinator.onCallEvent(listener),
    repository,
    signaling,
    close: () => signaling.close(),
  };
}
