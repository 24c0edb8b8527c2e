import { z } from "zod";

/** The WebSocket path of the signaling service and the subprotocol a client may offer. */
export const SIGNALING_PATH = "/calling/signaling";
export const SIGNALING_SUBPROTOCOL = "switchboard.calling.v1";

/**
 * Close codes. 1xxx are the RFC 6455 ones ws and browsers use; 4xxx mirror the HTTP status the failure would have.
 * The close reason is a stable code (`TokenRevoked`, `MalformedMessage`, …), never a secret.
 */
export const CLOSE = {
  normal: 1000,
  shutdown: 1001,
  unsupportedData: 1003,
  /** Sent by ws itself when a frame exceeds maxMessageBytes. */
  tooBig: 1009,
  internal: 1011,
  malformed: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  authTimeout: 4408,
  unknownType: 4422,
  rateLimited: 4429,
} as const;

/** Codes of in-band `error` messages: the request was refused, the socket stays open. */
export type SignalingErrorCode =
  | "InsufficientScope"
  | "CalleeNotFound"
  | "CallNotFound"
  | "NotInvited"
  | "CallFull"
  | "AlreadyInCall"
  | "NotInCall"
  | "ParticipantNotFound"
  | "AlreadyAuthenticated";

const identityId = z.string().min(1).max(200);
const callId = z.string().min(1).max(64);
const requestId = z.string().max(64).optional();
const callees = z.array(identityId).min(1).max(7);
const sdp = z.string().min(1).max(60_000);

const candidate = z
  .object({
    candidate: z.string().max(2048),
    sdpMid: z.string().max(64).nullable().optional(),
    sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
    usernameFragment: z.string().max(256).nullable().optional(),
  })
  .nullable();

/** Every message a client may send, by type. */
export const clientMessageSchemas = {
  auth: z.object({ type: z.literal("auth"), token: z.string().min(1).max(16_384), requestId }),
  startCall: z.object({ type: z.literal("startCall"), callees, video: z.boolean().optional(), requestId }),
  invite: z.object({ type: z.literal("invite"), callId, callees, requestId }),
  accept: z.object({ type: z.literal("accept"), callId, requestId }),
  join: z.object({ type: z.literal("join"), callId, requestId }),
  reject: z.object({ type: z.literal("reject"), callId, requestId }),
  hangUp: z.object({ type: z.literal("hangUp"), callId, requestId }),
  offer: z.object({ type: z.literal("offer"), callId, to: identityId, sdp }),
  answer: z.object({ type: z.literal("answer"), callId, to: identityId, sdp }),
  ice: z.object({ type: z.literal("ice"), callId, to: identityId, candidate }),
  mute: z.object({ type: z.literal("mute"), callId, audio: z.boolean(), video: z.boolean() }),
} as const;

export type ClientMessageType = keyof typeof clientMessageSchemas;
export type ClientMessage = { [K in ClientMessageType]: z.infer<(typeof clientMessageSchemas)[K]> }[ClientMessageType];
export type ClientMessageOf<K extends ClientMessageType> = z.infer<(typeof clientMessageSchemas)[K]>;

export type ParseResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; close: number; reason: string };

function isMessageType(type: string): type is ClientMessageType {
  return Object.prototype.hasOwnProperty.call(clientMessageSchemas, type);
}

/** Parses one text frame. Anything but a known, well-formed message is a reason to close the socket. */
export function parseClientMessage(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, close: CLOSE.malformed, reason: "MalformedMessage: not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, close: CLOSE.malformed, reason: "MalformedMessage: not an object" };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string") return { ok: false, close: CLOSE.malformed, reason: "MalformedMessage: no type" };
  if (!isMessageType(type)) return { ok: false, close: CLOSE.unknownType, reason: "UnknownMessageType" };
  const parsed = clientMessageSchemas[type].safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join(".") ?? "";
    return { ok: false, close: CLOSE.malformed, reason: `MalformedMessage: ${type}.${where}`.slice(0, 120) };
  }
  return { ok: true, message: parsed.data as ClientMessage };
}
