import { z } from "zod";
import { signalingClose, type SignalingClose } from "../errors/signaling-errors.js";

/** The WebSocket path of the signaling service and the subprotocol a client may offer. */
export const SIGNALING_PATH = "/calling/signaling";
export const SIGNALING_SUBPROTOCOL = "switchboard.calling.v1";

/**
 * Close codes and reasons: src/errors/signaling-errors.ts (the signaling catalogue). ws itself closes with 1009 when a
 * frame exceeds maxMessageBytes.
 */

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
  | { ok: false; close: SignalingClose };

function isMessageType(type: string): type is ClientMessageType {
  return Object.prototype.hasOwnProperty.call(clientMessageSchemas, type);
}

/** Parses one text frame. Anything but a known, well-formed message is a reason to close the socket. */
export function parseClientMessage(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, close: signalingClose("MalformedMessage", "not JSON") };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, close: signalingClose("MalformedMessage", "not an object") };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string") return { ok: false, close: signalingClose("MalformedMessage", "no type") };
  if (!isMessageType(type)) return { ok: false, close: signalingClose("UnknownMessageType") };
  const parsed = clientMessageSchemas[type].safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join(".") ?? "";
    return { ok: false, close: signalingClose("MalformedMessage", `${type}.${where}`) };
  }
  return { ok: true, message: parsed.data as ClientMessage };
}
