/**
 * The few browser APIs the calling client uses, declared structurally so the server's TypeScript build (which has
 * no DOM library) can compile the client. The browser's own objects satisfy these shapes.
 */
export interface MediaStreamTrackLike {
  readonly id: string;
  readonly kind: string;
  enabled: boolean;
  stop(): void;
}

export interface MediaStreamLike {
  readonly id: string;
  getTracks(): MediaStreamTrackLike[];
  getAudioTracks(): MediaStreamTrackLike[];
  getVideoTracks(): MediaStreamTrackLike[];
  addTrack(track: MediaStreamTrackLike): void;
}

export interface IceCandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export interface SessionDescriptionInit {
  type: "offer" | "answer";
  sdp: string;
}

export type PeerConnectionState = "new" | "connecting" | "connected" | "disconnected" | "failed" | "closed";

export interface PeerConnectionLike {
  readonly connectionState: PeerConnectionState;
  readonly localDescription: { sdp: string } | null;
  readonly remoteDescription: { sdp: string } | null;
  onicecandidate: ((event: { candidate: { toJSON(): IceCandidateInit } | null }) => void) | null;
  ontrack: ((event: { track: MediaStreamTrackLike; streams: readonly MediaStreamLike[] }) => void) | null;
  onconnectionstatechange: (() => void) | null;
  addTrack(track: MediaStreamTrackLike, stream: MediaStreamLike): unknown;
  createOffer(): Promise<SessionDescriptionInit>;
  createAnswer(): Promise<SessionDescriptionInit>;
  setLocalDescription(description: SessionDescriptionInit): Promise<void>;
  setRemoteDescription(description: SessionDescriptionInit): Promise<void>;
  addIceCandidate(candidate: IceCandidateInit): Promise<void>;
  getStats(): Promise<Map<string, Record<string, unknown>>>;
  close(): void;
}

export interface WebSocketLike {
  readonly readyState: number;
  onopen: (() => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: (() => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface IceServerConfig {
  urls: string[];
  username?: string;
  credential?: string;
}

/** The globals the client reaches for; tests or apps may pass their own. */
export interface BrowserGlobals {
  WebSocket: new (url: string, protocols?: string | string[]) => WebSocketLike;
  RTCPeerConnection: new (config: { iceServers: IceServerConfig[] }) => PeerConnectionLike;
  MediaStream: new (tracks?: MediaStreamTrackLike[]) => MediaStreamLike;
  navigator: { mediaDevices: { getUserMedia(constraints: { audio: boolean; video: boolean }): Promise<MediaStreamLike> } };
  location: { protocol: string; host: string };
  atob(data: string): string;
}
