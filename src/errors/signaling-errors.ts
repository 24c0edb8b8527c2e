/**
 * The signaling WebSocket's close catalogue (calling/signaling-server.ts): every reason the server closes a socket,
 * with its close code. 1xxx are the RFC 6455 codes ws and browsers use; 4xxx mirror the HTTP status the failure would
 * have. The close reason on the wire is the entry's name (a stable code, never a secret), with a short detail after a
 * colon for MalformedMessage. A token the authenticator or authorizer refuses closes with 4401/4403 and the ACS code
 * of the refusal (TokenRevoked, TokenExpired, InsufficientScope, …): `closeForAuthFailure`.
 */
export const signalingCloses = {
  ServerShutdown: 1001,
  BinaryFramesNotSupported: 1003,
  /** The resource of the endpoint was deleted between the upgrade and the connection. */
  ResourceNotFound: 1008,
  InternalError: 1011,
  MalformedMessage: 4400,
  AuthenticationRequired: 4401,
  IdentityMismatch: 4401,
  TokenResourceMismatch: 4401,
  InvalidToken: 4401,
  AuthenticationTimeout: 4408,
  UnknownMessageType: 4422,
  RateLimited: 4429,
} as const satisfies Record<string, number>;

export type SignalingCloseName = keyof typeof signalingCloses;

/** What the server sends in a close frame: `code` (the close code) and `reason` (a catalogue name or an ACS code). */
export interface SignalingClose {
  code: number;
  /** The stable code logged as `code`, as for an HTTP failure. */
  name: string;
  /** The close frame's reason: `name`, or `name: detail`. */
  reason: string;
}

/** The close code of an authentication refusal (4401) and of an authorization refusal (4403). */
export const AUTH_CLOSE = { unauthorized: 4401, forbidden: 4403 } as const;

/** RFC 6455 caps a close reason at 123 bytes; the catalogue's reasons are ASCII and cut well below that. */
const MAX_REASON = 120;

/** The close frame of a catalogue entry, with an optional detail (MalformedMessage: which field). */
export function signalingClose(name: SignalingCloseName, detail?: string): SignalingClose {
  const reason = detail === undefined ? name : `${name}: ${detail}`;
  return { code: signalingCloses[name], name, reason: reason.slice(0, MAX_REASON) };
}

/** The close frame for a token the authenticator (401) or the authorizer (403) refused with an ACS code. */
export function closeForAuthFailure(status: number, code: string): SignalingClose {
  return { code: status === 403 ? AUTH_CLOSE.forbidden : AUTH_CLOSE.unauthorized, name: code, reason: code.slice(0, MAX_REASON) };
}

/** The socket side the renderer needs (ws's WebSocket). */
export interface ClosableSocket {
  readonly readyState: number;
  readonly CONNECTING: number;
  readonly OPEN: number;
  close(code: number, reason: string): void;
}

/** Renders a close on `ws`: the one place a signaling close frame is written. A socket already closing is left alone. */
export function closeSocket(ws: ClosableSocket, close: SignalingClose): void {
  if (ws.readyState === ws.CONNECTING || ws.readyState === ws.OPEN) ws.close(close.code, close.reason);
}
