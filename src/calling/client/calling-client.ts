/**
 * Switchboard calling client: a dependency-free browser ES module, served at `/calling/client.js`.
 *
 *   import { createCallClient } from "https://<switchboard>/calling/client.js";
 *   const client = createCallClient({ tokenRefresher: () => fetchTokenFromMyBackend() });
 *   await client.connect(token);
 *   client.on("incomingCall", (incoming) => incoming.accept());
 *   const call = await client.startCall([otherIdentityId], { video: true });
 *   call.on("remoteStream", ({ identity, stream }) => (videoElement.srcObject = stream));
 *   await client.hangUp();
 *
 * Signaling runs over one WebSocket; the token is sent in the first message, never in the URL. Media flows directly
 * between browsers (one RTCPeerConnection per pair of participants; up to 8 in a full mesh).
 *
 * One file on purpose (over 400 lines): it is served as a single URL, so it has no runtime imports (the only import
 * below is type-only and vanishes in the build).
 */
import type {
  BrowserGlobals,
  IceCandidateInit,
  IceServerConfig,
  MediaStreamLike,
  PeerConnectionLike,
  PeerConnectionState,
  WebSocketLike,
} from "./browser-types.js";

export type { MediaStreamLike, PeerConnectionLike } from "./browser-types.js";

const SUBPROTOCOL = "switchboard.calling.v1";
const PATH = "/calling/signaling";
/** Refresh this long before the token expires (the ACS SDKs refresh 10 minutes ahead when proactive). */
const REFRESH_AHEAD_MS = 10 * 60_000;

type Message = Record<string, unknown> & { type: string };
type Handler<T> = (payload: T) => void;

/** A tiny typed event emitter. `on` returns the function that unsubscribes. */
class Emitter<Events> {
  private readonly handlers = new Map<keyof Events, Set<Handler<never>>>();

  on<K extends keyof Events>(name: K, handler: Handler<Events[K]>): () => void {
    const set = this.handlers.get(name) ?? new Set();
    set.add(handler as Handler<never>);
    this.handlers.set(name, set);
    return () => this.off(name, handler);
  }

  off<K extends keyof Events>(name: K, handler: Handler<Events[K]>): void {
    this.handlers.get(name)?.delete(handler as Handler<never>);
  }

  protected emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    for (const handler of [...(this.handlers.get(name) ?? [])]) {
      try {
        (handler as Handler<Events[K]>)(payload);
      } catch (err) {
        console.error("switchboard calling: event handler failed", err);
      }
    }
  }
}

/** A refused request (`error` message from the server) or a closed connection. */
export class CallingError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "CallingError";
  }
}

export interface CallClientOptions {
  /** Signaling URL; default `wss://<page host>/calling/signaling`. */
  url?: string;
  /** Returns a fresh user access token (voip or voip.join) when the current one nears expiry, like ACS's tokenRefresher. */
  tokenRefresher?: (abortSignal?: AbortSignal) => Promise<string>;
  /** Refresh before expiry (default true when a tokenRefresher is given); otherwise refresh only on `refreshToken()`. */
  refreshProactively?: boolean;
  /** Overrides of the browser globals (tests, polyfills). */
  globals?: Partial<BrowserGlobals>;
}

export interface MediaOptions {
  /** Send video (default: the call's video flag). Audio is always sent. */
  video?: boolean;
  /** Use this stream instead of asking getUserMedia. */
  localStream?: MediaStreamLike;
}

export interface IncomingCall {
  callId: string;
  from: string;
  caller: string;
  video: boolean;
  participants: string[];
  accept(options?: MediaOptions): Promise<Call>;
  reject(): void;
}

/**
 * A chat event as the Chat SDK's realtime notifications carry it (@azure/communication-signaling `ChatMessageReceivedEvent`
 * and the others): `threadId`, `sender`, `recipient`, … with the `…On` times as Date objects.
 */
export type ChatEventPayload = Record<string, unknown> & { threadId: string };

/** The Chat SDK's realtime event names; a socket opened with a `chat` token receives them for its threads. */
export const CHAT_EVENT_NAMES = [
  "chatMessageReceived",
  "chatMessageEdited",
  "chatMessageDeleted",
  "typingIndicatorReceived",
  "readReceiptReceived",
  "chatThreadCreated",
  "chatThreadDeleted",
  "chatThreadPropertiesUpdated",
  "participantsAdded",
  "participantsRemoved",
] as const;
export type ChatEventName = (typeof CHAT_EVENT_NAMES)[number];

const DATE_FIELDS = ["createdOn", "editedOn", "deletedOn", "receivedOn", "readOn", "updatedOn", "addedOn", "removedOn"];

function chatPayload(raw: Record<string, unknown>): ChatEventPayload {
  const payload: Record<string, unknown> = { ...raw };
  for (const field of DATE_FIELDS) if (typeof payload[field] === "string") payload[field] = new Date(payload[field] as string);
  return payload as ChatEventPayload;
}

export interface CallClientEvents extends Record<ChatEventName, ChatEventPayload> {
  incomingCall: IncomingCall;
  incomingCallEnded: { callId: string; reason: string };
  disconnected: { code: number; reason: string };
  tokenRefreshed: { expiresOn: string };
  error: CallingError;
}

export type CallState = "connecting" | "connected" | "ended";

export interface CallEvents {
  stateChanged: CallState;
  participantJoined: { identity: string };
  participantLeft: { identity: string; reason: string };
  participantRejected: { identity: string };
  remoteStream: { identity: string; stream: MediaStreamLike };
  peerStateChanged: { identity: string; state: PeerConnectionState };
  muteChanged: { identity: string; audioMuted: boolean; videoMuted: boolean };
  ended: { reason: string };
}

function decodeExpiry(token: string, atob: (s: string) => string): number | undefined {
  try {
    const part = token.split(".")[1] ?? "";
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** One call this client is in: the local stream, one peer connection and one remote stream per other participant. */
export class Call extends Emitter<CallEvents> {
  state: CallState = "connecting";
  readonly peers = new Map<string, PeerConnectionLike>();
  readonly remoteStreams = new Map<string, MediaStreamLike>();
  readonly participants = new Map<string, { audioMuted: boolean; videoMuted: boolean }>();
  private readonly pendingCandidates = new Map<string, IceCandidateInit[]>();
  private chain: Promise<void> = Promise.resolve();
  private iceServers: IceServerConfig[] = [];

  /** @internal */
  constructor(
    readonly id: string,
    readonly localStream: MediaStreamLike,
    private readonly client: CallClient,
    private readonly g: BrowserGlobals,
  ) {
    super();
  }

  /** Invites more identities into the call (voip tokens only). */
  invite(identities: string[]): void {
    this.client.send({ type: "invite", callId: this.id, callees: identities });
  }

  /** Mutes or unmutes the local tracks and tells the other participants. */
  setMuted(muted: { audio?: boolean; video?: boolean }): void {
    const audio = muted.audio ?? !this.localStream.getAudioTracks().some((t) => t.enabled);
    const video = muted.video ?? !this.localStream.getVideoTracks().some((t) => t.enabled);
    for (const t of this.localStream.getAudioTracks()) t.enabled = !audio;
    for (const t of this.localStream.getVideoTracks()) t.enabled = !video;
    this.client.send({ type: "mute", callId: this.id, audio, video });
  }

  async hangUp(): Promise<void> {
    if (this.state === "ended") return;
    this.client.send({ type: "hangUp", callId: this.id });
    this.finish("hangUp");
  }

  /** @internal Server messages for this call. */
  receive(msg: Message): void {
    this.chain = this.chain.then(() => this.process(msg)).catch((err: unknown) => console.error("switchboard calling:", err));
  }

  /** @internal */
  start(iceServers: IceServerConfig[], existing: Array<{ identity: string; audioMuted: boolean; videoMuted: boolean }>): void {
    this.iceServers = iceServers;
    for (const p of existing) {
      this.participants.set(p.identity, { audioMuted: p.audioMuted, videoMuted: p.videoMuted });
      // The participant who joins makes the offers.
      this.chain = this.chain.then(() => this.offerTo(p.identity));
    }
  }

  /** @internal */
  finish(reason: string): void {
    if (this.state === "ended") return;
    for (const pc of this.peers.values()) pc.close();
    this.peers.clear();
    for (const t of this.localStream.getTracks()) t.stop();
    this.setState("ended");
    this.emit("ended", { reason });
    this.client.callFinished(this);
  }

  private async process(msg: Message): Promise<void> {
    if (this.state === "ended") return;
    const from = msg.from as string;
    switch (msg.type) {
      case "offer": {
        const pc = this.peer(from);
        await pc.setRemoteDescription({ type: "offer", sdp: msg.sdp as string });
        await this.flushCandidates(from);
        await pc.setLocalDescription(await pc.createAnswer());
        this.client.send({ type: "answer", callId: this.id, to: from, sdp: pc.localDescription!.sdp });
        return;
      }
      case "answer":
        await this.peers.get(from)?.setRemoteDescription({ type: "answer", sdp: msg.sdp as string });
        await this.flushCandidates(from);
        return;
      case "ice": {
        const candidate = msg.candidate as IceCandidateInit | null;
        if (candidate === null || candidate.candidate === "") return;
        const pc = this.peers.get(from);
        if (pc?.remoteDescription) await pc.addIceCandidate(candidate);
        else this.pendingCandidates.set(from, [...(this.pendingCandidates.get(from) ?? []), candidate]);
        return;
      }
      case "participantJoined":
        this.participants.set(msg.identity as string, { audioMuted: false, videoMuted: false });
        this.emit("participantJoined", { identity: msg.identity as string });
        return;
      case "participantLeft":
        this.dropPeer(msg.identity as string);
        this.emit("participantLeft", { identity: msg.identity as string, reason: msg.reason as string });
        return;
      case "participantRejected":
      case "participantMissed":
        this.emit("participantRejected", { identity: msg.identity as string });
        return;
      case "muteChanged": {
        const state = { audioMuted: msg.audioMuted as boolean, videoMuted: msg.videoMuted as boolean };
        this.participants.set(msg.identity as string, state);
        this.emit("muteChanged", { identity: msg.identity as string, ...state });
        return;
      }
      case "callEnded":
        this.finish(msg.reason as string);
        return;
    }
  }

  private peer(identity: string): PeerConnectionLike {
    const existing = this.peers.get(identity);
    if (existing !== undefined) return existing;
    const pc = new this.g.RTCPeerConnection({ iceServers: this.iceServers });
    this.peers.set(identity, pc);
    for (const track of this.localStream.getTracks()) pc.addTrack(track, this.localStream);
    pc.onicecandidate = (event) => {
      this.client.send({ type: "ice", callId: this.id, to: identity, candidate: event.candidate === null ? null : event.candidate.toJSON() });
    };
    pc.ontrack = (event) => {
      let stream = this.remoteStreams.get(identity);
      if (stream === undefined) {
        stream = event.streams[0] ?? new this.g.MediaStream();
        this.remoteStreams.set(identity, stream);
      }
      if (!stream.getTracks().some((t) => t.id === event.track.id)) stream.addTrack(event.track);
      this.emit("remoteStream", { identity, stream });
    };
    pc.onconnectionstatechange = () => {
      this.emit("peerStateChanged", { identity, state: pc.connectionState });
      if (pc.connectionState === "connected" && this.state === "connecting") this.setState("connected");
    };
    if (!this.participants.has(identity)) this.participants.set(identity, { audioMuted: false, videoMuted: false });
    return pc;
  }

  private async offerTo(identity: string): Promise<void> {
    const pc = this.peer(identity);
    await pc.setLocalDescription(await pc.createOffer());
    this.client.send({ type: "offer", callId: this.id, to: identity, sdp: pc.localDescription!.sdp });
  }

  private async flushCandidates(identity: string): Promise<void> {
    const pc = this.peers.get(identity);
    const queued = this.pendingCandidates.get(identity) ?? [];
    this.pendingCandidates.delete(identity);
    for (const c of queued) await pc?.addIceCandidate(c);
  }

  private dropPeer(identity: string): void {
    this.peers.get(identity)?.close();
    this.peers.delete(identity);
    this.remoteStreams.delete(identity);
    this.participants.delete(identity);
    this.pendingCandidates.delete(identity);
  }

  private setState(state: CallState): void {
    this.state = state;
    this.emit("stateChanged", state);
  }
}

interface Pending {
  resolve(msg: Message): void;
  reject(err: CallingError): void;
}

/** The connection to Switchboard's signaling service for one identity. */
export class CallClient extends Emitter<CallClientEvents> {
  identity: string | undefined;
  /** The call in progress, if any (one at a time per client). */
  call: Call | undefined;
  /** The latest incoming call still ringing. */
  incoming: IncomingCall | undefined;
  private ws: WebSocketLike | undefined;
  private readonly g: BrowserGlobals;
  private readonly pending = new Map<string, Pending>();
  private nextRequest = 1;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshAbort: AbortController | undefined;

  constructor(private readonly options: CallClientOptions = {}) {
    super();
    // Browser globals are non-enumerable: pick them one by one (late, so a polyfill loaded after us still counts).
    const w = globalThis as unknown as BrowserGlobals;
    this.g = {
      get WebSocket() {
        return w.WebSocket;
      },
      get RTCPeerConnection() {
        return w.RTCPeerConnection;
      },
      get MediaStream() {
        return w.MediaStream;
      },
      get navigator() {
        return w.navigator;
      },
      get location() {
        return w.location;
      },
      atob: (data) => w.atob(data),
      ...options.globals,
    };
  }

  /** Opens the signaling socket and authenticates with a user access token (scope voip or voip.join). */
  async connect(token: string): Promise<{ identity: string; expiresOn: string }> {
    const url = this.options.url ?? `${this.g.location.protocol === "http:" ? "ws" : "wss"}://${this.g.location.host}${PATH}`;
    const ws = new this.g.WebSocket(url, SUBPROTOCOL);
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new CallingError("ConnectionFailed", `could not open ${url}`));
    });
    ws.onerror = null;
    ws.onmessage = (event) => this.onMessage(String(event.data));
    ws.onclose = (event) => this.onClose(event.code, event.reason);
    const reply = await this.request({ type: "auth", token });
    this.identity = reply.identity as string;
    this.scheduleRefresh(token);
    return { identity: this.identity, expiresOn: reply.expiresOn as string };
  }

  /** Calls one or more identities of the same resource (voip tokens only). Resolves once the call is set up. */
  async startCall(identities: string[], options: MediaOptions = {}): Promise<Call> {
    if (this.call !== undefined) throw new CallingError("AlreadyInCall", "hang up the current call first");
    const video = options.video ?? false;
    const local = options.localStream ?? (await this.g.navigator.mediaDevices.getUserMedia({ audio: true, video }));
    let reply: Message;
    try {
      reply = await this.request({ type: "startCall", callees: identities, video });
    } catch (err) {
      if (options.localStream === undefined) for (const t of local.getTracks()) t.stop();
      throw err;
    }
    const call = new Call(reply.callId as string, local, this, this.g);
    this.call = call;
    call.start(reply.iceServers as IceServerConfig[], []);
    return call;
  }

  /** Accepts the latest incoming call (or the one with `callId`). */
  async accept(callId?: string, options: MediaOptions = {}): Promise<Call> {
    const incoming = this.incoming;
    const id = callId ?? incoming?.callId;
    if (id === undefined) throw new CallingError("NoIncomingCall", "no call is ringing");
    return this.join(id, { video: incoming?.callId === id ? incoming.video : false, ...options }, "accept");
  }

  /** Rejects the latest incoming call (or the one with `callId`). */
  reject(callId?: string): void {
    const id = callId ?? this.incoming?.callId;
    if (id === undefined) return;
    if (this.incoming?.callId === id) this.incoming = undefined;
    this.send({ type: "reject", callId: id });
  }

  /** Joins a running call by id: voip tokens may join any call of their resource, voip.join tokens only when invited. */
  async join(callId: string, options: MediaOptions = {}, type: "join" | "accept" = "join"): Promise<Call> {
    if (this.call !== undefined) throw new CallingError("AlreadyInCall", "hang up the current call first");
    const local = options.localStream ?? (await this.g.navigator.mediaDevices.getUserMedia({ audio: true, video: options.video ?? false }));
    let reply: Message;
    try {
      reply = await this.request({ type, callId });
    } catch (err) {
      if (options.localStream === undefined) for (const t of local.getTracks()) t.stop();
      throw err;
    }
    if (this.incoming?.callId === callId) this.incoming = undefined;
    const call = new Call(callId, local, this, this.g);
    this.call = call;
    call.start(reply.iceServers as IceServerConfig[], reply.participants as Array<{ identity: string; audioMuted: boolean; videoMuted: boolean }>);
    return call;
  }

  /** Leaves the current call. */
  async hangUp(): Promise<void> {
    await this.call?.hangUp();
  }

  /** Asks the tokenRefresher for a new token now and re-authenticates the open socket with it. */
  async refreshToken(): Promise<void> {
    if (this.options.tokenRefresher === undefined) throw new CallingError("NoTokenRefresher", "no tokenRefresher was given");
    this.refreshAbort?.abort();
    this.refreshAbort = new AbortController();
    const token = await this.options.tokenRefresher(this.refreshAbort.signal);
    const reply = await this.request({ type: "auth", token });
    this.scheduleRefresh(token);
    this.emit("tokenRefreshed", { expiresOn: reply.expiresOn as string });
  }

  /** Closes the signaling socket (leaving any call). */
  disconnect(): void {
    this.call?.finish("disconnected");
    this.ws?.close(1000, "ClientClosed");
  }

  /** @internal */
  send(message: Message): void {
    if (this.ws !== undefined && this.ws.readyState === 1) this.ws.send(JSON.stringify(message));
  }

  /** @internal */
  callFinished(call: Call): void {
    if (this.call === call) this.call = undefined;
  }

  private request(message: Message): Promise<Message> {
    const requestId = String(this.nextRequest++);
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      this.send({ ...message, requestId });
    });
  }

  private onMessage(text: string): void {
    let msg: Message;
    try {
      msg = JSON.parse(text) as Message;
    } catch {
      return;
    }
    const requestId = typeof msg.requestId === "string" ? msg.requestId : undefined;
    const waiting = requestId === undefined ? undefined : this.pending.get(requestId);
    if (waiting !== undefined) {
      this.pending.delete(requestId!);
      if (msg.type === "error") waiting.reject(new CallingError(msg.code as string, msg.message as string));
      else waiting.resolve(msg);
      return;
    }
    switch (msg.type) {
      case "incomingCall":
        this.incoming = this.incomingCall(msg);
        this.emit("incomingCall", this.incoming);
        return;
      case "incomingCallEnded":
        if (this.incoming?.callId === msg.callId) this.incoming = undefined;
        this.emit("incomingCallEnded", { callId: msg.callId as string, reason: msg.reason as string });
        return;
      case "error":
        this.emit("error", new CallingError(msg.code as string, msg.message as string));
        return;
      case "chatEvent":
        if ((CHAT_EVENT_NAMES as readonly string[]).includes(msg.event as string)) {
          this.emit(msg.event as ChatEventName, chatPayload(msg.payload as Record<string, unknown>));
        }
        return;
      default:
        if (this.call !== undefined && msg.callId === this.call.id) this.call.receive(msg);
    }
  }

  private incomingCall(msg: Message): IncomingCall {
    const callId = msg.callId as string;
    return {
      callId,
      from: msg.from as string,
      caller: msg.caller as string,
      video: msg.video as boolean,
      participants: msg.participants as string[],
      accept: (options) => this.accept(callId, options),
      reject: () => this.reject(callId),
    };
  }

  private onClose(code: number, reason: string): void {
    clearTimeout(this.refreshTimer);
    this.refreshAbort?.abort();
    const err = new CallingError(reason || "Disconnected", `signaling closed (${code} ${reason})`);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.call?.finish("disconnected");
    this.emit("disconnected", { code, reason });
  }

  private scheduleRefresh(token: string): void {
    clearTimeout(this.refreshTimer);
    if (this.options.tokenRefresher === undefined || this.options.refreshProactively === false) return;
    const expiresAt = decodeExpiry(token, this.g.atob);
    if (expiresAt === undefined) return;
    const remaining = expiresAt - Date.now();
    const delay = Math.max(0, remaining > 2 * REFRESH_AHEAD_MS ? remaining - REFRESH_AHEAD_MS : remaining / 2);
    this.refreshTimer = setTimeout(() => {
      this.refreshToken().catch((err: unknown) =>
        this.emit("error", err instanceof CallingError ? err : new CallingError("TokenRefreshFailed", String(err))),
      );
    }, Math.min(delay, 2 ** 31 - 1));
  }
}

/** Creates a client; call `connect(token)` next. */
export function createCallClient(options: CallClientOptions = {}): CallClient {
  return new CallClient(options);
}

/** Shorthand: creates a client and connects it. */
export async function connect(token: string, options: CallClientOptions = {}): Promise<CallClient> {
  const client = new CallClient(options);
  await client.connect(token);
  return client;
}
