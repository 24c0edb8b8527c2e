import { randomUUID } from "node:crypto";
import type { WebSocket } from "ws";
import type { UserScope } from "../auth/principal.js";
import type { Resource } from "../resources/resource.js";
import type { Clock, ClockTimer } from "../util/clock.js";
import { closeSocket, type SignalingClose } from "../errors/signaling-errors.js";

/** Why a connection left its call, when the socket went away. */
export type DisconnectReason = "disconnected" | "tokenRevoked" | "tokenExpired" | "serverShutdown";

/** A token bucket: `perSecond` sustained, `burst` at once. */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** One signaling WebSocket: who it is (once authenticated), which call it is in, its limits and timers. */
export class SignalingConnection {
  readonly id = randomUUID();
  identity: string | undefined;
  scopes: UserScope[] = [];
  /** The presented token, kept in memory only to re-check it when revocation state changes. */
  token: string | undefined;
  /** Epoch seconds. */
  expiresAt = 0;
  callId: string | undefined;
  /** The replica that holds `callId`, when that call is not held by this process. */
  remoteHome: string | undefined;
  /** Set before the server closes the socket, so the call sees why the participant left. */
  disconnectReason: DisconnectReason = "disconnected";
  /** The close the server sent, for the disconnect log line (undefined when the client closed). */
  closedWith: SignalingClose | undefined;
  authTimer: ClockTimer | undefined;
  expiryTimer: ClockTimer | undefined;
  alive = true;
  /** Messages are handled one at a time, in order, even when a handler awaits the store. */
  queue: Promise<void> = Promise.resolve();
  readonly limiter: RateLimiter;

  constructor(
    readonly ws: WebSocket,
    public resource: Resource,
    limits: { messagesPerSecond: number; messageBurst: number },
    clock: Clock,
  ) {
    this.limiter = new RateLimiter(limits.messagesPerSecond, limits.messageBurst, () => clock.now());
  }

  get authenticated(): boolean {
    return this.identity !== undefined;
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  send(message: Record<string, unknown>): void {
    if (this.open) this.ws.send(JSON.stringify(message));
  }

  close(close: SignalingClose, disconnectReason?: DisconnectReason): void {
    if (disconnectReason !== undefined) this.disconnectReason = disconnectReason;
    this.clearTimers();
    this.closedWith ??= close;
    closeSocket(this.ws, close);
  }

  clearTimers(): void {
    this.authTimer?.cancel();
    this.expiryTimer?.cancel();
    this.authTimer = undefined;
    this.expiryTimer = undefined;
  }
}
