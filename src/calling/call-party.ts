import type { RealtimeBus, RemoteParty } from "../realtime/realtime-bus.js";

/**
 * A participant as the call coordinator sees it: a local socket (SignalingConnection), or a socket of another
 * replica (RemoteCallParty) whose messages are forwarded over the realtime bus.
 */
export interface CallParty {
  readonly id: string;
  identity: string | undefined;
  scopes: readonly string[];
  resource: { id: string };
  callId: string | undefined;
  readonly open: boolean;
  send(message: Record<string, unknown>): void;
}

/** A socket on another replica taking part in a call held here: what it is sent goes back over the bus. */
export class RemoteCallParty implements CallParty {
  callId: string | undefined;
  /** Forwarded messages are handled one at a time, in order, as a local socket's are. */
  queue: Promise<void> = Promise.resolve();
  readonly open = true;

  constructor(
    readonly remote: RemoteParty,
    private readonly bus: RealtimeBus,
  ) {}

  get id(): string {
    return this.remote.connId;
  }

  get identity(): string {
    return this.remote.identity;
  }

  get scopes(): readonly string[] {
    return this.remote.scopes;
  }

  get resource(): { id: string } {
    return { id: this.remote.resourceId };
  }

  send(message: Record<string, unknown>): void {
    this.bus.publish({ kind: "toConn", origin: this.bus.replica, replica: this.remote.replica, connId: this.remote.connId, message });
  }
}
