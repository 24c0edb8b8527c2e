import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { IDENTITY_CHANGED } from "../identity/identity-repository.js";
import { RESOURCE_CHANGED } from "../resources/resource-repository.js";
import { FEED_RESET } from "../store/change-feed.js";
import type { Change } from "../store/store.js";
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import type { AuthenticatorChain } from "../auth/authenticator-chain.js";
import type { Principal } from "../auth/principal.js";
import { AcsError } from "../errors/acs-errors.js";
import { AUTH_CLOSE, closeForAuthFailure, closeSocket, signalingClose, type SignalingClose } from "../errors/signaling-errors.js";
import { defineRoute } from "../http/route.js";
import type { Authorizer } from "../rbac/authorizer.js";
import type { Resource } from "../resources/resource.js";
import type { ResourceRegistry } from "../resources/resource-registry.js";
import type { ChangeFeed } from "../store/change-feed.js";
import type { Clock } from "../util/clock.js";
import type { RealtimeBus, RelayMessage } from "../realtime/realtime-bus.js";
import { identifierKind } from "../chat/chat-realtime.js";
import type { CallCoordinator } from "./call-coordinator.js";
import { parseClientMessage, SIGNALING_PATH, SIGNALING_SUBPROTOCOL, type ClientMessageOf } from "./signaling-protocol.js";
import { SignalingConnection } from "./signaling-connection.js";

/** What the signaling endpoint uses: tokens are checked against the registry's resources, re-checked on feed changes. */
export interface SignalingDeps {
  config: Config["calling"];
  clock: Clock;
  log: Logger;
  feed: ChangeFeed;
  registry: ResourceRegistry;
  /** The user-token authenticator chain of the HTTP routes: one authentication model for every entry point. */
  users: AuthenticatorChain;
  /** The pipeline's authorizer; the socket is checked as the operation SIGNALING_ROUTE. */
  authorizer: Authorizer;
  /** Messages between replicas (and from chat to the sockets): realtime-bus.ts. */
  bus: RealtimeBus;
}

/**
 * The signaling endpoint as authentication and authorization see it: a user-token operation allowed to voip,
 * voip.join and chat tokens (chat tokens receive chat events; calling requests need voip or voip.join). It is not mounted as an HTTP route (the WebSocket upgrade is taken before the router).
 */
export const SIGNALING_ROUTE = defineRoute({
  operation: "calling.signaling",
  method: "GET",
  url: SIGNALING_PATH,
  auth: "user",
  userScopes: ["voip", "voip.join", "chat"],
  requireApiVersion: false,
  handle: () => ({ status: 426 }),
});

type UserPrincipal = Extract<Principal, { kind: "user" }>;
type Verdict = { ok: true; principal: UserPrincipal } | { ok: false; close: SignalingClose };
const NO_BODY = Buffer.alloc(0);

const KEEPALIVE_MS = 30_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The signaling WebSocket endpoint. A client opens `wss://<host>/calling/signaling` and must send
 * `{"type":"auth","token":"<user access token>"}` as its first message (within `authTimeoutMs`): browsers cannot set
 * an Authorization header on a WebSocket, and a query string would end up in access logs. The token is checked
 * exactly as the user-token HTTP routes check it (signature, expiry, resource from the Host header, revocation,
 * deletion, access-key regeneration), again whenever the change feed reports an identity or resource change, and
 * when it expires; a socket whose token stops being valid is closed with 4401 and the reason code.
 */
export class SignalingServer {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<SignalingConnection>();
  /** Authenticated sockets by identity, for messages relayed to identities (chat events, incoming calls). */
  private readonly byIdentity = new Map<string, Set<SignalingConnection>>();
  private readonly keepalive: NodeJS.Timeout;
  private closing = false;

  constructor(
    private readonly core: SignalingDeps,
    private readonly coordinator: CallCoordinator,
  ) {
    const limits = core.config;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: limits.maxMessageBytes,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(SIGNALING_SUBPROTOCOL) ? SIGNALING_SUBPROTOCOL : false),
    });
    this.keepalive = setInterval(() => this.ping(), KEEPALIVE_MS);
    this.keepalive.unref();
    core.feed.subscribe((changes) => this.onChanges(changes));
    core.bus.subscribe((message) => this.onRelay(message));
  }

  /** Sends a relayed message to this replica's sockets it is meant for. */
  private onRelay(relay: RelayMessage): void {
    // Calling messages are the coordinator's; chat events are delivered here.
    if (relay.kind !== "toIdentities" || relay.scope !== "chat") return;
    for (const identity of relay.identities) {
      for (const conn of this.byIdentity.get(identity) ?? []) {
        if (conn.resource.id !== relay.resourceId || conn.id === relay.exceptConn || !conn.open) continue;
        if (!conn.scopes.includes("chat")) continue;
        const message = relay.message;
        if (message.type === "chatEvent") {
          conn.send({ ...message, payload: { ...(message.payload as Record<string, unknown>), recipient: identifierKind(identity) } });
        } else {
          conn.send(message);
        }
      }
    }
  }

  /** Takes the upgrade requests for the signaling path on `server`; other paths are left to other handlers. */
  attach(server: Server): void {
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.handleUpgrade(req, socket, head)) return;
      // Nobody else takes upgrades on this server: refuse instead of leaving the socket hanging.
      if (server.listenerCount("upgrade") === 1) socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (req.url ?? "").split("?")[0];
    if (path !== SIGNALING_PATH) return false;
    socket.on("error", () => socket.destroy());
    if (this.closing) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
    return true;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.keepalive);
    await this.coordinator.shutdown();
    const sockets = [...this.connections];
    for (const conn of sockets) conn.close(signalingClose("ServerShutdown"), "serverShutdown");
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(resolve, 500);
      const check = (): void => {
        if (this.connections.size > 0) return;
        clearTimeout(deadline);
        resolve();
      };
      for (const conn of sockets) conn.ws.once("close", check);
      check();
    });
    for (const conn of this.connections) conn.ws.terminate();
    this.wss.close();
  }

  // --- connection lifecycle ---

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const { config, clock, log } = this.core;
    let resource;
    try {
      resource = this.core.registry.resolve(req.headers.host, req.socket.localPort);
    } catch {
      closeSocket(ws, signalingClose("ResourceNotFound")); // the resource of this endpoint was deleted a moment ago
      return;
    }
    const conn = new SignalingConnection(ws, resource, config, clock);
    this.connections.add(conn);
    conn.authTimer = clock.setTimeout(() => conn.close(signalingClose("AuthenticationTimeout")), config.authTimeoutMs);
    ws.on("pong", () => {
      conn.alive = true;
    });
    ws.on("message", (data, isBinary) => this.onMessage(conn, data, isBinary));
    ws.on("error", (err) => log.debug({ op: "calling.socket", conn: conn.id, err: { message: err.message } }, "signaling socket error"));
    ws.on("close", (status) => {
      conn.clearTimers();
      this.connections.delete(conn);
      if (conn.identity !== undefined) {
        const set = this.byIdentity.get(conn.identity);
        set?.delete(conn);
        if (set?.size === 0) this.byIdentity.delete(conn.identity);
      }
      this.coordinator.disconnect(conn, conn.disconnectReason);
      // As a request line: the close code as `status`, the catalogue (or ACS) code of a server-side close as `code`.
      log.info(
        { op: "calling.disconnect", conn: conn.id, resource: conn.resource.id, principal: conn.identity, status, code: conn.closedWith?.name },
        "signaling",
      );
    });
  }

  private onMessage(conn: SignalingConnection, data: RawData, isBinary: boolean): void {
    if (!conn.limiter.take()) return conn.close(signalingClose("RateLimited"));
    if (isBinary) return conn.close(signalingClose("BinaryFramesNotSupported"));
    const parsed = parseClientMessage(data.toString());
    if (!parsed.ok) return conn.close(parsed.close);
    const message = parsed.message;
    if (message.type !== "auth" && !conn.authenticated) return conn.close(signalingClose("AuthenticationRequired"));
    conn.queue = conn.queue
      .then(() => {
        if (!conn.open) return;
        return message.type === "auth" ? this.authenticate(conn, message) : this.coordinator.handle(conn, message);
      })
      .catch((err: unknown) => {
        this.core.log.error({ op: "calling.message", conn: conn.id, err: { message: (err as Error).message } }, "signaling handler failed");
        conn.close(signalingClose("InternalError"));
      });
  }

  /** First authentication, or a refresh with a new token of the same identity (the client's tokenRefresher). */
  private async authenticate(conn: SignalingConnection, message: ClientMessageOf<"auth">): Promise<void> {
    const resource = this.core.registry.get(conn.resource.id) ?? conn.resource;
    const verdict = await this.check(message.token, resource);
    if (!conn.open) return;
    if (!verdict.ok) return conn.close(verdict.close, verdict.close.code === AUTH_CLOSE.unauthorized ? "tokenRevoked" : undefined);
    const { principal } = verdict;
    if (conn.identity !== undefined && conn.identity !== principal.identity) return conn.close(signalingClose("IdentityMismatch"));
    const first = conn.identity === undefined;
    conn.identity = principal.identity;
    conn.scopes = principal.scopes;
    conn.token = message.token;
    conn.expiresAt = principal.expiresAt;
    conn.authTimer?.cancel();
    conn.authTimer = undefined;
    this.scheduleExpiry(conn);
    if (first) {
      const set = this.byIdentity.get(principal.identity) ?? new Set();
      set.add(conn);
      this.byIdentity.set(principal.identity, set);
      this.coordinator.register(conn);
    }
    conn.send({
      type: "authenticated",
      requestId: message.requestId,
      identity: principal.identity,
      scopes: principal.scopes,
      expiresOn: new Date(principal.expiresAt * 1000).toISOString(),
      maxParticipants: this.core.config.maxParticipants,
    });
    if (first) {
      this.core.log.info({ op: "calling.connect", conn: conn.id, resource: resource.id, principal: principal.identity, scopes: principal.scopes }, "signaling");
    }
  }

  private scheduleExpiry(conn: SignalingConnection): void {
    conn.expiryTimer?.cancel();
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, conn.expiresAt * 1000 - this.core.clock.now()));
    conn.expiryTimer = this.core.clock.setTimeout(() => void this.recheck(conn), delay + 5);
  }

  // --- revocation ---

  /** Identity changes (revocation, deletion) and resource changes (key regeneration) re-check the affected sockets. */
  private onChanges(changes: Change[]): void {
    const identities = new Set<string>();
    const resources = new Set<string>();
    let everyone = false;
    for (const c of changes) {
      if (c.topic === FEED_RESET) {
        everyone = true;
      } else if (c.topic === IDENTITY_CHANGED) {
        if (c.subject == null) everyone = true;
        else identities.add(c.subject);
      } else if (c.topic === RESOURCE_CHANGED) {
        if (c.resourceId == null) everyone = true;
        else resources.add(c.resourceId);
      }
    }
    if (!everyone && identities.size === 0 && resources.size === 0) return;
    const affected = [...this.connections].filter(
      (c) => c.authenticated && (everyone || identities.has(c.identity!) || resources.has(c.resource.id)),
    );
    if (affected.length === 0) return;
    // A resource change is visible once the registry has reloaded it.
    const ready = resources.size > 0 || everyone ? this.core.registry.settled() : Promise.resolve();
    void ready.then(() => Promise.all(affected.map((c) => this.recheck(c))));
  }

  private async recheck(conn: SignalingConnection): Promise<void> {
    if (conn.token === undefined || !conn.open) return;
    const resource = this.core.registry.get(conn.resource.id);
    if (resource === undefined) return conn.close(signalingClose("TokenResourceMismatch"), "tokenRevoked");
    conn.resource = resource;
    const verdict = await this.check(conn.token, resource);
    if (!verdict.ok) {
      this.core.log.info({ op: "calling.revoke", conn: conn.id, principal: conn.identity, code: verdict.close.name }, "signaling");
      conn.close(verdict.close, verdict.close.name === "TokenExpired" ? "tokenExpired" : "tokenRevoked");
    }
  }

  /**
   * The token through the same steps as an HTTP request with `Authorization: Bearer <token>`: the user-token
   * authenticator (signature, expiry, resource, revocation, deletion, key regeneration), then the authorizer
   * (SIGNALING_ROUTE's scopes). A refusal becomes a close code: 4401 for authentication, 4403 for authorization.
   */
  private async check(token: string, resource: Resource): Promise<Verdict> {
    // A header value cannot carry whitespace inside the token; such a string is no token at all.
    if (!/^\S+$/.test(token)) return { ok: false, close: signalingClose("InvalidToken") };
    const request = { method: "GET", rawUrl: SIGNALING_PATH, headers: { authorization: `Bearer ${token}` }, rawBody: NO_BODY, resource };
    try {
      const principal = await this.core.users.authenticate(request);
      if (principal.kind !== "user") return { ok: false, close: signalingClose("InvalidToken") };
      await this.core.authorizer.authorize(principal, SIGNALING_ROUTE, resource);
      return { ok: true, principal };
    } catch (err) {
      if (!(err instanceof AcsError)) throw err;
      return { ok: false, close: closeForAuthFailure(err.status, err.code) };
    }
  }

  private ping(): void {
    for (const conn of this.connections) {
      if (!conn.alive) {
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }
}
