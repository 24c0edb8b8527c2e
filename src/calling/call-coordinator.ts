import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { parseIdentityId } from "../identity/identity-id.js";
import type { IdentityStateCache } from "../identity/identity-state-cache.js";
import type { Clock, ClockTimer } from "../util/clock.js";
import type { CallRepository } from "./call-repository.js";
import type { CallRecord, EndReason, ParticipantRecord } from "./call-record.js";
import { iceServersFor } from "./ice-servers.js";
import type { ClientMessage, ClientMessageOf, SignalingErrorCode } from "./signaling-protocol.js";
import type { DisconnectReason, SignalingConnection } from "./signaling-connection.js";
import type { RealtimeBus, RelayMessage } from "../realtime/realtime-bus.js";
import { RemoteCallParty, type CallParty } from "./call-party.js";

/**
 * A per-participant call event, for the integrator's activity record (never SDP, candidates or tokens).
 * `callEnded` is emitted once for every identity the call involved.
 */
export interface CallEvent {
  type: "callStarted" | "invited" | "joined" | "left" | "rejected" | "missed" | "callEnded";
  callId: string;
  resourceId: string;
  identity: string;
  /** Epoch milliseconds. */
  at: number;
  reason?: string;
  /** For `left`: time in the call; for `callEnded`: the call's duration. */
  durationMs?: number;
  /**
   * The call's caller, on the events of a call closed by a replica that did not hold it (its holder went away), up
   * to its first `callEnded`: a listener that never saw `callStarted` learns the caller here.
   */
  caller?: string;
}

export type CallEventListener = (event: CallEvent) => void;

interface LiveParticipant {
  conn: CallParty;
  audioMuted: boolean;
  videoMuted: boolean;
}

/** A call in progress: its record (saved at every change) plus who is connected and who is still ringing. */
interface LiveCall {
  record: CallRecord;
  active: Map<string, LiveParticipant>;
  ringing: Map<string, ClockTimer>;
  saving: Promise<void>;
}

class Refusal extends Error {
  constructor(
    readonly code: SignalingErrorCode,
    message: string,
    readonly target?: string,
  ) {
    super(message);
  }
}

export interface CoordinatorDeps {
  config: Config["calling"];
  clock: Clock;
  log: Logger;
  calls: CallRepository;
  identityStates: IdentityStateCache;
  /** Relays call signaling between replicas (docs/realtime.md); absent: this process holds every call. */
  bus?: RealtimeBus;
}

/** Call messages that name a call: forwarded to the replica that holds the call when it is not here. */
const CALL_MESSAGES = new Set(["invite", "accept", "join", "reject", "hangUp", "offer", "answer", "ice", "mute"]);

/**
 * The calling state machine. Calls live in memory (one server process holds a call); the record is saved at every
 * change. Media never passes through here: offers, answers and candidates are relayed between the two participants
 * of each pair of the full mesh. The participant who joins sends the offers to everyone already in the call.
 * (Over 400 lines on purpose: every call transition — ring, join, reject, miss, leave, end — is in this one file, so
 * the rules for when a call ends and what its record says can be read together.)
 */
export class CallCoordinator {
  private readonly calls = new Map<string, LiveCall>();
  private readonly byIdentity = new Map<string, Set<SignalingConnection>>();
  private readonly listeners: CallEventListener[] = [];
  /** Local sockets by id, for messages relayed to one socket. */
  private readonly byId = new Map<string, SignalingConnection>();
  /** Sockets of other replicas in (or calling into) calls held here. */
  private readonly remoteParties = new Map<string, RemoteCallParty>();
  /** Calls held by other replicas that rang a local socket: call id → replica, until answered or gone. */
  private readonly remoteCalls = new Map<string, { replica: string; at: number; resourceId: string; identities: string[] }>();

  constructor(private readonly deps: CoordinatorDeps) {
    deps.bus?.subscribe((relay) => this.onRelay(relay));
  }

  /** Subscribes to per-participant call events (the activity record hook). */
  onCallEvent(listener: CallEventListener): void {
    this.listeners.push(listener);
  }

  register(conn: SignalingConnection): void {
    const set = this.byIdentity.get(conn.identity!) ?? new Set();
    set.add(conn);
    this.byIdentity.set(conn.identity!, set);
    this.byId.set(conn.id, conn);
  }

  /** The socket is gone: leave its call, forget it. */
  disconnect(conn: SignalingConnection, reason: DisconnectReason): void {
    if (conn.identity === undefined) return;
    const set = this.byIdentity.get(conn.identity);
    set?.delete(conn);
    if (set?.size === 0) this.byIdentity.delete(conn.identity);
    this.byId.delete(conn.id);
    if (conn.callId === undefined) return;
    if (this.calls.has(conn.callId) || conn.remoteHome === undefined) return this.leave(conn, reason);
    // In a call held by another replica: that replica takes the participant out.
    this.deps.bus!.publish({ kind: "gone", to: conn.remoteHome, from: this.remoteOf(conn), callId: conn.callId, reason });
    conn.callId = undefined;
    conn.remoteHome = undefined;
  }

  get activeCalls(): number {
    return this.calls.size;
  }

  async handle(conn: CallParty, message: Exclude<ClientMessage, { type: "auth" }>): Promise<void> {
    try {
      // A chat-only socket receives chat events; calling needs a voip or voip.join token.
      if (!conn.scopes.some((s) => s === "voip" || s === "voip.join")) throw new Refusal("InsufficientScope", "Calling needs a voip or voip.join token.");
      if (this.forwarded(conn, message)) return;
      switch (message.type) {
        case "startCall":
          return await this.startCall(conn, message);
        case "invite":
          return await this.invite(conn, message);
        case "accept":
        case "join":
          return this.join(conn, message.callId, message.requestId);
        case "reject":
          return this.reject(conn, message.callId);
        case "hangUp":
          this.requireCall(conn, message.callId);
          return this.leave(conn, "hangUp");
        case "offer":
        case "answer":
        case "ice":
          return this.relay(conn, message);
        case "mute":
          return this.mute(conn, message);
      }
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      const callId = "callId" in message ? message.callId : undefined;
      const requestId = "requestId" in message ? message.requestId : undefined;
      conn.send({ type: "error", code: err.code, message: err.message, target: err.target, callId, requestId, for: message.type });
    }
  }

  /** Ends every call (server shutdown) and waits for the records to be saved. */
  async shutdown(): Promise<void> {
    const live = [...this.calls.values()];
    for (const call of live) this.end(call, "serverShutdown");
    await Promise.all(live.map((c) => c.saving));
  }

  // --- operations ---

  private async startCall(conn: CallParty, msg: ClientMessageOf<"startCall">): Promise<void> {
    this.requireVoip(conn, "start a call");
    if (conn.callId !== undefined) throw new Refusal("AlreadyInCall", "This connection is already in a call.");
    const callees = await this.checkCallees(conn, msg.callees);
    if (callees.length + 1 > this.deps.config.maxParticipants) {
      throw new Refusal("CallFull", `A call has at most ${this.deps.config.maxParticipants} participants.`);
    }
    if (!conn.open || conn.callId !== undefined) return;
    const now = this.deps.clock.now();
    const identity = conn.identity!;
    const call: LiveCall = {
      record: {
        id: randomUUID(),
        resourceId: conn.resource.id,
        caller: identity,
        video: msg.video ?? false,
        startedAt: now,
        answeredAt: null,
        endedAt: null,
        endReason: null,
        durationMs: null,
        participants: [
          { identity, role: "caller", invitedAt: null, joinedAt: now, leftAt: null, outcome: "joined", leaveReason: null },
        ],
      },
      active: new Map([[identity, { conn, audioMuted: false, videoMuted: false }]]),
      ringing: new Map(),
      saving: Promise.resolve(),
    };
    this.calls.set(call.record.id, call);
    conn.callId = call.record.id;
    conn.send({
      type: "callStarted",
      callId: call.record.id,
      requestId: msg.requestId,
      video: call.record.video,
      iceServers: iceServersFor(this.deps.config, call.record.id, now),
    });
    this.emit(call, "callStarted", identity, now);
    this.emit(call, "joined", identity, now);
    this.ring(call, identity, callees, now);
    this.save(call);
  }

  private async invite(conn: CallParty, msg: ClientMessageOf<"invite">): Promise<void> {
    this.requireVoip(conn, "invite");
    const call = this.requireCall(conn, msg.callId);
    const fresh = (await this.checkCallees(conn, msg.callees)).filter((id) => !call.active.has(id) && !call.ringing.has(id));
    if (call.active.size + call.ringing.size + fresh.length > this.deps.config.maxParticipants) {
      throw new Refusal("CallFull", `A call has at most ${this.deps.config.maxParticipants} participants.`);
    }
    if (!this.calls.has(call.record.id)) return;
    this.ring(call, conn.identity!, fresh, this.deps.clock.now());
    this.save(call);
  }

  private join(conn: CallParty, callId: string, requestId: string | undefined): void {
    const identity = conn.identity!;
    const call = this.calls.get(callId);
    if (call === undefined || call.record.resourceId !== conn.resource.id) throw new Refusal("CallNotFound", "No such call.");
    if (conn.callId !== undefined || call.active.has(identity)) throw new Refusal("AlreadyInCall", "Already in a call.");
    const wasInvited = call.ringing.has(identity) || call.record.participants.some((p) => p.identity === identity && p.role !== "joiner");
    if (!wasInvited && !conn.scopes.includes("voip")) {
      throw new Refusal("NotInvited", "A voip.join token may only join a call it was invited to.");
    }
    if (call.active.size >= this.deps.config.maxParticipants) throw new Refusal("CallFull", "The call is full.");

    const now = this.deps.clock.now();
    call.ringing.get(identity)?.cancel();
    call.ringing.delete(identity);
    const waiting = call.record.participants.find((p) => p.identity === identity && p.joinedAt === null && p.outcome !== "rejected");
    if (waiting !== undefined) {
      waiting.joinedAt = now;
      waiting.outcome = "joined";
    } else {
      call.record.participants.push({
        identity,
        role: wasInvited ? "invitee" : "joiner",
        invitedAt: null,
        joinedAt: now,
        leftAt: null,
        outcome: "joined",
        leaveReason: null,
      });
    }
    const others = [...call.active.entries()];
    call.active.set(identity, { conn, audioMuted: false, videoMuted: false });
    conn.callId = callId;
    if (call.record.answeredAt === null && call.active.size >= 2) call.record.answeredAt = now;

    conn.send({
      type: "joined",
      callId,
      requestId,
      caller: call.record.caller,
      video: call.record.video,
      participants: others.map(([id, p]) => ({ identity: id, audioMuted: p.audioMuted, videoMuted: p.videoMuted })),
      iceServers: iceServersFor(this.deps.config, callId, now),
    });
    for (const [, p] of others) p.conn.send({ type: "participantJoined", callId, identity });
    this.toIdentity(call, identity, { type: "incomingCallEnded", callId, reason: "answeredElsewhere" }, conn.id);
    this.emit(call, "joined", identity, now);
    this.save(call);
  }

  private reject(conn: CallParty, callId: string): void {
    const identity = conn.identity!;
    const call = this.calls.get(callId);
    if (call === undefined || call.record.resourceId !== conn.resource.id) throw new Refusal("CallNotFound", "No such call.");
    if (!call.ringing.has(identity)) throw new Refusal("NotInvited", "This identity has no pending invitation to the call.");
    const now = this.deps.clock.now();
    call.ringing.get(identity)?.cancel();
    call.ringing.delete(identity);
    const row = call.record.participants.find((p) => p.identity === identity && p.outcome === "ringing");
    if (row !== undefined) row.outcome = "rejected";
    this.broadcast(call, { type: "participantRejected", callId, identity });
    this.toIdentity(call, identity, { type: "incomingCallEnded", callId, reason: "rejected" });
    this.emit(call, "rejected", identity, now);
    if (call.ringing.size === 0 && call.active.size <= 1) this.end(call, call.record.answeredAt === null ? "rejected" : "hangUp");
    else this.save(call);
  }

  private relay(conn: CallParty, msg: ClientMessageOf<"offer" | "answer" | "ice">): void {
    const call = this.requireCall(conn, msg.callId);
    const target = call.active.get(msg.to);
    if (target === undefined || msg.to === conn.identity) throw new Refusal("ParticipantNotFound", "The target is not in the call.", msg.to);
    const payload = msg.type === "ice" ? { candidate: msg.candidate } : { sdp: msg.sdp };
    target.conn.send({ type: msg.type, callId: msg.callId, from: conn.identity, ...payload });
  }

  private mute(conn: CallParty, msg: ClientMessageOf<"mute">): void {
    const call = this.requireCall(conn, msg.callId);
    const me = call.active.get(conn.identity!)!;
    me.audioMuted = msg.audio;
    me.videoMuted = msg.video;
    this.broadcast(
      call,
      { type: "muteChanged", callId: msg.callId, identity: conn.identity, audioMuted: msg.audio, videoMuted: msg.video },
      conn.identity,
    );
  }

  // --- transitions ---

  private ring(call: LiveCall, from: string, callees: string[], now: number): void {
    const ringMs = this.deps.config.ringTimeoutSeconds * 1000;
    for (const callee of callees) {
      call.ringing.set(callee, this.deps.clock.setTimeout(() => this.missed(call, callee), ringMs));
      call.record.participants.push({
        identity: callee,
        role: "invitee",
        invitedAt: now,
        joinedAt: null,
        leftAt: null,
        outcome: "ringing",
        leaveReason: null,
      });
      const incoming = {
        type: "incomingCall",
        callId: call.record.id,
        from,
        caller: call.record.caller,
        video: call.record.video,
        participants: [...call.active.keys()],
      };
      this.toIdentity(call, callee, incoming);
      this.emit(call, "invited", callee, now);
    }
  }

  private missed(call: LiveCall, identity: string): void {
    if (!call.ringing.delete(identity) || !this.calls.has(call.record.id)) return;
    const now = this.deps.clock.now();
    const row = call.record.participants.find((p) => p.identity === identity && p.outcome === "ringing");
    if (row !== undefined) row.outcome = "missed";
    this.toIdentity(call, identity, { type: "incomingCallEnded", callId: call.record.id, reason: "noAnswer" });
    this.broadcast(call, { type: "participantMissed", callId: call.record.id, identity });
    this.emit(call, "missed", identity, now);
    if (call.ringing.size === 0 && call.active.size <= 1) this.end(call, call.record.answeredAt === null ? "noAnswer" : "hangUp");
    else this.save(call);
  }

  private leave(conn: CallParty, reason: "hangUp" | DisconnectReason): void {
    const identity = conn.identity!;
    const call = conn.callId === undefined ? undefined : this.calls.get(conn.callId);
    conn.callId = undefined;
    if (call === undefined || call.active.get(identity)?.conn !== conn) return;
    const now = this.deps.clock.now();
    call.active.delete(identity);
    const row = this.openRow(call, identity);
    if (row !== undefined) {
      row.leftAt = now;
      row.leaveReason = reason;
    }
    conn.send({ type: "callEnded", callId: call.record.id, reason: "hangUp" });
    this.broadcast(call, { type: "participantLeft", callId: call.record.id, identity, reason });
    this.emit(call, "left", identity, now, reason, row?.joinedAt != null ? now - row.joinedAt : undefined);
    if (call.active.size === 0 || (call.active.size === 1 && call.ringing.size === 0)) {
      this.end(call, reason === "hangUp" && call.record.answeredAt === null ? "cancelled" : reason);
    } else {
      this.save(call);
    }
  }

  private end(call: LiveCall, reason: EndReason): void {
    if (!this.calls.delete(call.record.id)) return;
    const now = this.deps.clock.now();
    const callId = call.record.id;
    for (const [identity, p] of call.active) {
      const row = this.openRow(call, identity);
      if (row !== undefined) {
        row.leftAt = now;
        row.leaveReason = "callEnded";
      }
      p.conn.callId = undefined;
      p.conn.send({ type: "callEnded", callId, reason });
      if (p.conn instanceof RemoteCallParty) this.remoteParties.delete(p.conn.id);
      this.emit(call, "left", identity, now, "callEnded", row?.joinedAt != null ? now - row.joinedAt : undefined);
    }
    for (const [identity, timer] of call.ringing) {
      timer.cancel();
      const row = call.record.participants.find((p) => p.identity === identity && p.outcome === "ringing");
      if (row !== undefined) row.outcome = "missed";
      this.toIdentity(call, identity, { type: "incomingCallEnded", callId, reason });
      this.emit(call, "missed", identity, now);
    }
    call.active.clear();
    call.ringing.clear();
    call.record.endedAt = now;
    call.record.endReason = reason;
    call.record.durationMs = call.record.answeredAt === null ? 0 : now - call.record.answeredAt;
    for (const identity of new Set(call.record.participants.map((p) => p.identity))) {
      this.emit(call, "callEnded", identity, now, reason, call.record.durationMs);
    }
    this.save(call);
  }

  // --- helpers ---

  private requireVoip(conn: CallParty, what: string): void {
    if (!conn.scopes.includes("voip")) throw new Refusal("InsufficientScope", `A voip.join token may not ${what}.`);
  }

  private requireCall(conn: CallParty, callId: string): LiveCall {
    const call = conn.callId === callId ? this.calls.get(callId) : undefined;
    if (call === undefined) throw new Refusal("NotInCall", "This connection is not in that call.");
    return call;
  }

  /** Callees must be live identities of the caller's resource; duplicates and the caller are dropped. */
  private async checkCallees(conn: CallParty, ids: string[]): Promise<string[]> {
    const unique = [...new Set(ids)].filter((id) => id !== conn.identity);
    if (unique.length === 0) throw new Refusal("CalleeNotFound", "No callee other than the caller.");
    for (const id of unique) {
      const parsed = parseIdentityId(id);
      const state = parsed?.resourceId === conn.resource.id ? await this.deps.identityStates.get(id) : null;
      if (state === null || state.deleted || state.resourceId !== conn.resource.id) {
        throw new Refusal("CalleeNotFound", "The callee is not an identity of this resource.", id);
      }
    }
    return unique;
  }

  private openRow(call: LiveCall, identity: string): ParticipantRecord | undefined {
    return call.record.participants.findLast((p) => p.identity === identity && p.joinedAt !== null && p.leftAt === null);
  }

  /** Sends to every socket of `identity` that may take calls, on every replica (but `except`). */
  private toIdentity(call: LiveCall, identity: string, message: Record<string, unknown>, except?: string): void {
    const bus = this.deps.bus;
    if (bus?.shared) {
      bus.publish({ kind: "toIdentities", origin: bus.replica, resourceId: call.record.resourceId, identities: [identity], scope: "voip", message, ...(except !== undefined ? { exceptConn: except } : {}) });
      return;
    }
    for (const c of this.connectionsOf(identity)) if (c.id !== except) c.send(message);
  }

  // --- across replicas ---

  private remoteOf(conn: CallParty): { replica: string; connId: string; identity: string; scopes: string[]; resourceId: string } {
    return { replica: this.deps.bus!.replica, connId: conn.id, identity: conn.identity!, scopes: [...conn.scopes], resourceId: conn.resource.id };
  }

  /** A message about a call another replica holds goes to that replica; true when it was forwarded. */
  private forwarded(conn: CallParty, message: Exclude<ClientMessage, { type: "auth" }>): boolean {
    const bus = this.deps.bus;
    if (!bus?.shared || conn instanceof RemoteCallParty || !CALL_MESSAGES.has(message.type) || !("callId" in message)) return false;
    const callId = message.callId;
    if (this.calls.has(callId)) return false;
    const local = conn as SignalingConnection;
    const home = local.callId === callId ? local.remoteHome : this.remoteHomeOf(callId);
    if (home === undefined) return false;
    bus.publish({ kind: "forward", to: home, from: this.remoteOf(conn), message });
    if (message.type === "hangUp" && local.callId === callId) {
      // Free at once, even if the home replica is gone; its callEnded still reaches the socket when it answers.
      local.callId = undefined;
      local.remoteHome = undefined;
    }
    return true;
  }

  private remoteHomeOf(callId: string): string | undefined {
    const found = this.remoteCalls.get(callId);
    if (found === undefined) return undefined;
    // Only ringing needs it: after twice the ring timeout the entry is stale.
    if (this.deps.clock.now() - found.at > this.deps.config.ringTimeoutSeconds * 2000) {
      this.remoteCalls.delete(callId);
      return undefined;
    }
    return found.replica;
  }

  private onRelay(relay: RelayMessage): void {
    const bus = this.deps.bus!;
    switch (relay.kind) {
      case "toIdentities": {
        if (relay.scope !== "voip") return;
        const callId = relay.message.callId;
        if (relay.origin !== undefined && relay.origin !== bus.replica && typeof callId === "string" && relay.message.type === "incomingCall") {
          this.pruneRemoteCalls();
          this.remoteCalls.set(callId, { replica: relay.origin, at: this.deps.clock.now(), resourceId: relay.resourceId, identities: relay.identities });
        }
        for (const identity of relay.identities) {
          for (const c of this.connectionsOf(identity)) {
            if (c.id !== relay.exceptConn && c.resource.id === relay.resourceId) c.send(relay.message);
          }
        }
        return;
      }
      case "toConn": {
        if (relay.replica !== bus.replica) return;
        const conn = this.byId.get(relay.connId);
        if (conn === undefined) return;
        const { type, callId } = relay.message;
        if (type === "joined" || type === "callStarted") {
          conn.callId = callId as string;
          conn.remoteHome = relay.origin;
          this.remoteCalls.delete(callId as string);
        } else if (type === "callEnded" && conn.callId === callId) {
          conn.callId = undefined;
          conn.remoteHome = undefined;
        }
        conn.send(relay.message);
        return;
      }
      case "forward": {
        if (relay.to !== bus.replica) return;
        let party = this.remoteParties.get(relay.from.connId);
        if (party === undefined) {
          party = new RemoteCallParty(relay.from, bus);
          this.remoteParties.set(party.id, party);
        }
        const p = party;
        const message = relay.message as unknown as Exclude<ClientMessage, { type: "auth" }>;
        p.queue = p.queue
          .then(() => this.handle(p, message))
          .catch((err: unknown) => this.deps.log.error({ op: "calling.forward", err: { message: (err as Error).message } }, "forwarded call message failed"));
        return;
      }
      case "gone": {
        if (relay.to !== bus.replica) return;
        const party = this.remoteParties.get(relay.from.connId);
        if (party === undefined) return;
        this.remoteParties.delete(party.id);
        if (party.callId !== undefined) this.leave(party, relay.reason as DisconnectReason);
        return;
      }
    }
  }

  // --- when a replica dies ---

  /**
   * Called by the replica watch (replica-watch.ts) with the replicas whose heartbeat is fresh. For every replica
   * not among them (crashed, killed, cut off): this replica's sockets in, or rung for, a call it held get
   * `callEnded` / `incomingCallEnded` with reason `serverFailure`; its sockets in calls held here leave them
   * (`disconnected`); and the call records it left open are closed here (end time, reason `serverFailure`), each by
   * exactly one survivor, which raises the call's closing events once.
   */
  async sweepLostReplicas(live: ReadonlySet<string>): Promise<void> {
    const bus = this.deps.bus;
    if (bus === undefined) return;
    const alive = new Set(live).add(bus.replica);
    for (const conn of this.byId.values()) {
      if (conn.callId === undefined || conn.remoteHome === undefined || alive.has(conn.remoteHome)) continue;
      const callId = conn.callId;
      conn.callId = undefined;
      conn.remoteHome = undefined;
      conn.send({ type: "callEnded", callId, reason: "serverFailure" });
    }
    for (const [callId, entry] of this.remoteCalls) {
      if (alive.has(entry.replica)) continue;
      this.remoteCalls.delete(callId);
      for (const identity of entry.identities) {
        for (const c of this.connectionsOf(identity)) {
          if (c.resource.id === entry.resourceId && c.callId !== callId) c.send({ type: "incomingCallEnded", callId, reason: "serverFailure" });
        }
      }
    }
    for (const party of [...this.remoteParties.values()]) {
      if (alive.has(party.remote.replica)) continue;
      this.remoteParties.delete(party.id);
      if (party.callId !== undefined) this.leave(party, "disconnected");
    }
    for (const { id, homeReplica } of await this.deps.calls.heldByOthers(alive)) {
      const now = this.deps.clock.now();
      const before = await this.deps.calls.closeOrphan(id, homeReplica, now, "serverFailure");
      if (before === undefined) continue;
      this.deps.log.warn({ op: "calling.sweep", callId: id, replica: homeReplica }, "closed a call whose replica went away");
      const record = { ...before, endedAt: now, endReason: "serverFailure" as const };
      const durationMs = before.answeredAt === null ? 0 : Math.max(0, now - before.answeredAt);
      const call = { record };
      for (const p of before.participants) {
        if (p.joinedAt !== null && p.leftAt === null) this.emit(call, "left", p.identity, now, "callEnded", now - p.joinedAt, before.caller);
        else if (p.outcome === "ringing") this.emit(call, "missed", p.identity, now, undefined, undefined, before.caller);
      }
      // Like end(): callEnded for every identity; the caller is named until the first one (listeners close the call there).
      let first = true;
      for (const identity of new Set(before.participants.map((p) => p.identity))) {
        this.emit(call, "callEnded", identity, now, "serverFailure", durationMs, first ? before.caller : undefined);
        first = false;
      }
    }
  }

  private pruneRemoteCalls(): void {
    if (this.remoteCalls.size < 1000) return;
    const horizon = this.deps.clock.now() - this.deps.config.ringTimeoutSeconds * 2000;
    for (const [id, entry] of this.remoteCalls) if (entry.at < horizon) this.remoteCalls.delete(id);
  }

  /** The local sockets of `identity` that may take calls (a chat-only socket is not rung). */
  private connectionsOf(identity: string): SignalingConnection[] {
    return [...(this.byIdentity.get(identity) ?? [])].filter((c) => c.scopes.some((s) => s === "voip" || s === "voip.join"));
  }

  private broadcast(call: LiveCall, message: Record<string, unknown>, except?: string): void {
    for (const [identity, p] of call.active) if (identity !== except) p.conn.send(message);
  }

  /** Saves a snapshot after the previous save of the same call, so the last state always wins. */
  private save(call: LiveCall): void {
    const snapshot = structuredClone(call.record);
    call.saving = call.saving
      .then(() => this.deps.calls.save(snapshot, this.deps.bus?.replica))
      .catch((err: unknown) => this.deps.log.error({ callId: snapshot.id, err: { message: (err as Error).message } }, "saving call record failed"));
  }

  private emit(call: Pick<LiveCall, "record">, type: CallEvent["type"], identity: string, at: number, reason?: string, durationMs?: number, caller?: string): void {
    if (this.listeners.length === 0) return;
    const event: CallEvent = { type, callId: call.record.id, resourceId: call.record.resourceId, identity, at };
    if (caller !== undefined) event.caller = caller;
    if (reason !== undefined) event.reason = reason;
    if (durationMs !== undefined) event.durationMs = durationMs;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.deps.log.warn({ err: { message: (err as Error).message } }, "call event listener failed");
      }
    }
  }
}
