import { createHash, randomUUID } from "node:crypto";
import pg from "pg";
import { listen } from "../util/pg-listen.js";
import type { RealtimeBus, RelayListener, RelayMessage } from "./realtime-bus.js";

/** NOTIFY refuses payloads of 8000 bytes or more; a message above this travels as several chunks. */
const MAX_PAYLOAD_BYTES = 7_900;
const CHUNK_CHARS = 7_000;
/** Payloads per NOTIFY statement. */
const MAX_BATCH = 200;
/** A chunked message whose parts did not all arrive in this time is dropped. */
const REASSEMBLY_MS = 10_000;
const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2_000;

/** One NOTIFY payload: a whole message (`m`), or part `i` of `n` of a base64-encoded one (`b`). */
type Envelope = { o: string; m: RelayMessage } | { o: string; id: string; i: number; n: number; b: string };

export interface PgRealtimeBusOptions {
  connectionString: string;
  /** Notifies `channel` with each payload, in order, in one statement on the store's pool (delivered at commit). */
  query: (channel: string, payloads: string[]) => Promise<void>;
  onError?: (err: unknown) => void;
}

/** The channel of one Switchboard schema: replicas of other schemas in the same database do not hear it. */
export function realtimeChannel(schema: string): string {
  return `switchboard_rt_${createHash("sha256").update(schema).digest("hex").slice(0, 16)}`;
}

/**
 * The realtime bus over PostgreSQL LISTEN/NOTIFY (docs/realtime.md): every replica LISTENs on the schema's channel
 * with a dedicated connection and publishes with `pg_notify`. Messages to this replica's own sockets are delivered
 * in-process at once, never through the database. A payload over the NOTIFY limit is split into base64 chunks sent in
 * one statement (so they commit together, in order) and reassembled by the listeners.
 */
export class PgRealtimeBus implements RealtimeBus {
  readonly replica = randomUUID();
  readonly shared = true;
  private readonly listeners: RelayListener[] = [];
  private readonly partial = new Map<string, { parts: string[]; got: number; timer: NodeJS.Timeout }>();
  private client: pg.Client | undefined;
  private channel: string | undefined;
  private closed = false;
  private readonly pending: string[] = [];
  private sending = false;
  private flushing: Promise<void> = Promise.resolve();
  private backoffMs = MIN_BACKOFF_MS;
  private readonly listening: Promise<void>;
  private markReady: () => void = () => {};

  constructor(private readonly options: PgRealtimeBusOptions) {
    this.listening = new Promise((resolve) => (this.markReady = resolve));
    void this.connect();
  }

  async ready(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.listening, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  /**
   * Local listeners at once; the other replicas through NOTIFY. Payloads are sent one statement at a time, each
   * carrying everything queued meanwhile, so replicas receive one publisher's messages in publishing order.
   */
  publish(message: RelayMessage): void {
    queueMicrotask(() => this.deliver(message));
    this.pending.push(...this.encode(message));
    if (!this.sending) this.flushing = this.flush();
  }

  private async flush(): Promise<void> {
    this.sending = true;
    try {
      await this.listening;
      while (this.pending.length > 0 && !this.closed) {
        const batch = this.pending.splice(0, MAX_BATCH);
        await this.options.query(this.channel!, batch).catch((err: unknown) => this.options.onError?.(err));
      }
    } finally {
      this.sending = false;
    }
  }

  subscribe(listener: RelayListener): void {
    this.listeners.push(listener);
  }

  /** Sends what is queued (a shutdown's callEnded to other replicas' sockets), then stops listening. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flushing, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
    clearTimeout(timer);
    this.closed = true;
    for (const p of this.partial.values()) clearTimeout(p.timer);
    this.partial.clear();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private encode(message: RelayMessage): string[] {
    const whole = JSON.stringify({ o: this.replica, m: message } satisfies Envelope);
    if (Buffer.byteLength(whole) <= MAX_PAYLOAD_BYTES) return [whole];
    const encoded = Buffer.from(JSON.stringify(message)).toString("base64");
    const id = randomUUID();
    const n = Math.ceil(encoded.length / CHUNK_CHARS);
    const payloads: string[] = [];
    for (let i = 0; i < n; i++) {
      payloads.push(JSON.stringify({ o: this.replica, id, i, n, b: encoded.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS) } satisfies Envelope));
    }
    return payloads;
  }

  private deliver(message: RelayMessage): void {
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch (err) {
        this.options.onError?.(err);
      }
    }
  }

  private onNotification(payload: string | undefined): void {
    if (payload === undefined) return;
    let env: Envelope;
    try {
      env = JSON.parse(payload) as Envelope;
    } catch {
      return;
    }
    if (env.o === this.replica) return;
    if ("m" in env) return this.deliver(env.m);
    let p = this.partial.get(env.id);
    if (p === undefined) {
      const timer = setTimeout(() => this.partial.delete(env.id), REASSEMBLY_MS);
      timer.unref();
      p = { parts: new Array<string>(env.n), got: 0, timer };
      this.partial.set(env.id, p);
    }
    if (p.parts[env.i] === undefined) {
      p.parts[env.i] = env.b;
      p.got++;
    }
    if (p.got < env.n) return;
    clearTimeout(p.timer);
    this.partial.delete(env.id);
    try {
      this.deliver(JSON.parse(Buffer.from(p.parts.join(""), "base64").toString()) as RelayMessage);
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.options.connectionString, connectionTimeoutMillis: 5_000, keepAlive: true, application_name: "switchboard-realtime" });
    this.client = client;
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      if (this.client === client) this.client = undefined;
      client.removeAllListeners("notification");
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.options.onError?.(err);
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
      setTimeout(() => void this.connect(), delay).unref();
    };
    client.on("error", fail);
    client.on("end", () => fail(new Error("realtime listener connection ended")));
    client.on("notification", (msg) => {
      if (msg.channel === this.channel) this.onNotification(msg.payload);
    });
    // The channel is known before LISTEN answers: a notification may arrive in the same packet as that answer.
    const session = await listen(client, (schema) => (this.channel = realtimeChannel(schema)), fail, () => this.closed);
    if (session === undefined) return;
    this.backoffMs = MIN_BACKOFF_MS;
    this.markReady();
  }
}
