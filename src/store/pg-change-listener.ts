import pg from "pg";
import { listen } from "../util/pg-listen.js";

/** The channel every write that emits changes notifies (in its own transaction, so the notice leaves at COMMIT). */
export const CHANGE_CHANNEL = "switchboard_changes";

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;
/** A connection that silently stopped working (no FIN, no RST) is found by this periodic round trip. */
const HEARTBEAT_MS = 15_000;
const QUERY_TIMEOUT_MS = 5_000;

export interface ChangeNotifications {
  /** True while the LISTEN connection is up. */
  readonly connected: boolean;
  /** The server process id of the LISTEN connection while it is up (diagnostics, pg_stat_activity). */
  readonly backendPid: number | undefined;
  close(): Promise<void>;
}

export interface PgChangeListenerOptions {
  connectionString: string;
  /** A notification arrived: some other process committed changes. */
  onNotify: () => void;
  /** The listener (re)connected: notifications sent while it was down are lost, so the caller catches up. */
  onConnect: () => void;
  onError?: (err: unknown) => void;
}

/**
 * A dedicated PostgreSQL connection that LISTENs for change notifications, so that every replica reads the change
 * feed as soon as another one commits. It reconnects with exponential backoff (250 ms to 5 s) whenever the connection
 * drops; meanwhile the feed's fallback poll keeps caches correct, only less promptly.
 */
export class PgChangeListener implements ChangeNotifications {
  private client: pg.Client | undefined;
  private closed = false;
  private backoffMs = MIN_BACKOFF_MS;
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private isConnected = false;
  private pid: number | undefined;

  constructor(private readonly options: PgChangeListenerOptions) {}

  get connected(): boolean {
    return this.isConnected;
  }

  get backendPid(): number | undefined {
    return this.isConnected ? this.pid : undefined;
  }

  start(): void {
    void this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    this.isConnected = false;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      connectionTimeoutMillis: 5_000,
      query_timeout: QUERY_TIMEOUT_MS,
      keepAlive: true,
      application_name: "switchboard-listener",
    });
    this.client = client;
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      this.isConnected = false;
      if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
      this.heartbeat = undefined;
      if (this.client === client) this.client = undefined;
      client.removeAllListeners("notification");
      client.end().catch(() => undefined);
      if (!this.closed) {
        this.options.onError?.(err);
        this.scheduleReconnect();
      }
    };
    // A dropped connection reports here (never as an unhandled 'error' event).
    client.on("error", fail);
    client.on("end", () => fail(new Error("listener connection ended")));
    // Replicas on other schemas of the same database share the channel; the payload names the writer's schema.
    let schema: string | undefined;
    client.on("notification", (msg) => {
      if (msg.channel === CHANGE_CHANNEL && (msg.payload === undefined || msg.payload === "" || msg.payload === schema)) {
        this.options.onNotify();
      }
    });
    // One channel for every schema: the payload names the writer's (known before LISTEN answers, as is the channel).
    const session = await listen(client, (own) => ((schema = own), CHANGE_CHANNEL), fail, () => this.closed);
    if (session === undefined) return;
    this.pid = session.pid;
    this.isConnected = true;
    this.backoffMs = MIN_BACKOFF_MS;
    this.heartbeat = setInterval(() => {
      client.query("select 1").catch(fail);
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
    this.options.onConnect();
  }

  private scheduleReconnect(): void {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.timer = setTimeout(() => void this.connect(), delay);
    this.timer.unref();
  }
}
