import WebSocket from "ws";
import type { UserScope } from "../../src/auth/principal.js";
import type { Resource } from "../../src/resources/resource.js";
import type { TestServer } from "./test-server.js";

export type Msg = Record<string, any> & { type: string };

export interface Closed {
  code: number;
  reason: string;
  /** performance.now() when the close event arrived. */
  at: number;
}

/** A raw signaling socket for the protocol-level tests: records every message and the close. */
export class SignalingTestClient {
  readonly messages: Msg[] = [];
  readonly closed: Promise<Closed>;
  readonly opened: Promise<void>;
  private waiters: Array<{ match: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];

  constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on("close", (code, reason) => resolve({ code, reason: reason.toString(), at: performance.now() }));
    });
    this.opened = new Promise((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    ws.on("error", () => {});
    ws.on("message", (data) => {
      const msg = JSON.parse(data.toString()) as Msg;
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(msg)) return true;
        w.resolve(msg);
        return false;
      });
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** The first message (already received or future) of `type` matching `where`. */
  next(type: string, where: (m: Msg) => boolean = () => true, timeoutMs = 5000): Promise<Msg> {
    const match = (m: Msg) => m.type === type && where(m);
    const seen = this.messages.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} message within ${timeoutMs} ms; got ${JSON.stringify(this.messages.map((m) => m.type))}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  async authenticate(token: string): Promise<Msg> {
    await this.opened;
    this.send({ type: "auth", token, requestId: "auth" });
    return Promise.race([
      this.next("authenticated"),
      this.closed.then((c) => {
        throw new Error(`closed ${c.code} ${c.reason}`);
      }),
    ]);
  }

  close(): void {
    this.ws.close();
  }
}

/** Opens a signaling socket on the test server's HTTPS listener, optionally addressing another resource by Host. */
export function openSignaling(srv: TestServer, options: { host?: string; path?: string } = {}): SignalingTestClient {
  const url = `${srv.httpsUrl.replace("https:", "wss:")}${options.path ?? "/calling/signaling"}`;
  const ws = new WebSocket(url, "switchboard.calling.v1", options.host !== undefined ? { headers: { host: options.host } } : {});
  return new SignalingTestClient(ws);
}

/** A new identity of `resource` (default: the server's default resource) with a token of the given scopes. */
export async function identityWithToken(
  srv: TestServer,
  scopes: UserScope[],
  resource: Resource = srv.currentResource(),
): Promise<{ id: string; token: string }> {
  const created = await srv.server.core.identities.create(resource, { kind: "operator", name: "test" }, { scopes, lifetimeMinutes: 60 });
  return { id: created.id, token: created.accessToken!.token };
}

/** Waits until `check` returns a value other than undefined (call records are saved asynchronously). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The sockets a test file opens, terminated together in its afterAll: `open()` opens one on the server `server()`
 * returns at the time of the call (a file's beforeAll starts it).
 */
export function signalingSockets(server: () => TestServer): {
  open(options?: Parameters<typeof openSignaling>[1]): SignalingTestClient;
  terminateAll(): void;
} {
  const sockets: SignalingTestClient[] = [];
  return {
    open(options) {
      const s = openSignaling(server(), options);
      sockets.push(s);
      return s;
    },
    terminateAll() {
      for (const s of sockets.splice(0)) s.ws.terminate();
    },
  };
}

/**
 * Two new identities with `voip` tokens, each on an authenticated socket from `open`; A has called B and B's socket
 * has the incomingCall.
 */
export async function ringingCall(srv: TestServer, open: () => SignalingTestClient) {
  const a = await identityWithToken(srv, ["voip"]);
  const b = await identityWithToken(srv, ["voip"]);
  const sa = open();
  const sb = open();
  await sa.authenticate(a.token);
  await sb.authenticate(b.token);
  sa.send({ type: "startCall", callees: [b.id], requestId: "s1" });
  const started = await sa.next("callStarted");
  const incoming = await sb.next("incomingCall", (m) => m.callId === started.callId);
  return { a, b, sa, sb, callId: started.callId as string, incoming };
}
