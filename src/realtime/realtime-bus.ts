/**
 * What one replica tells the others about live sockets. Each message is small JSON (PostgreSQL NOTIFY carries at
 * most 8000 bytes; larger ones travel by reference, see pg-realtime-bus.ts).
 */
export type RelayMessage =
  /**
   * Deliver `message` to every socket of these identities (of `resourceId`) that has `scope`, on every replica.
   * `origin` is the publishing replica (for calls: the replica that holds the call).
   */
  | { kind: "toIdentities"; origin?: string; resourceId: string; identities: string[]; scope: "chat" | "voip"; message: Record<string, unknown>; exceptConn?: string }
  /** Deliver `message` to one socket, wherever it is connected. */
  | { kind: "toConn"; origin?: string; replica: string; connId: string; message: Record<string, unknown> }
  /** A socket on `from.replica` sent a call message for a call that lives on replica `to`. */
  | { kind: "forward"; to: string; from: RemoteParty; message: Record<string, unknown> & { type: string; callId: string } }
  /** A socket that took part in a call on replica `to` went away (disconnect, revocation, expiry). */
  | { kind: "gone"; to: string; from: RemoteParty; callId: string; reason: string }
  /** Events were committed to the event outbox (NOTIFY from the recording transaction): delivery workers wake. */
  | { kind: "eventsQueued" };

/** A socket of another replica, as the replica that holds the call sees it. */
export interface RemoteParty {
  replica: string;
  connId: string;
  identity: string;
  scopes: string[];
  resourceId: string;
}

export type RelayListener = (message: RelayMessage) => void;

/**
 * The channel between replicas. `publish` reaches every replica, this one included (listeners filter what is
 * theirs); delivery is at most once and unordered across publishers, ordered per publisher.
 */
export interface RealtimeBus {
  /** This replica's id (random per process). */
  readonly replica: string;
  /** False when no other process can hear this bus (SQLite: one process): calls are never forwarded. */
  readonly shared: boolean;
  publish(message: RelayMessage): void;
  subscribe(listener: RelayListener): void;
  /** Resolves when messages of other replicas are heard (or after `timeoutMs`: the bus keeps reconnecting). */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** One process: publish calls the listeners on the next tick (the same asynchrony as the PostgreSQL bus). */
export class LocalRealtimeBus implements RealtimeBus {
  private readonly listeners: RelayListener[] = [];
  readonly shared = false;

  constructor(readonly replica: string) {}

  publish(message: RelayMessage): void {
    queueMicrotask(() => {
      for (const listener of this.listeners) listener(message);
    });
  }

  subscribe(listener: RelayListener): void {
    this.listeners.push(listener);
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {}
}
