import { describe, expect, it } from "vitest";
import { closeForAuthFailure, closeSocket, signalingClose, signalingCloses, type ClosableSocket } from "../../src/errors/signaling-errors.js";
import { parseClientMessage } from "../../src/calling/signaling-protocol.js";

/** A socket that records the close frames written to it. */
function socket(readyState: number): ClosableSocket & { frames: Array<[number, string]> } {
  const frames: Array<[number, string]> = [];
  return { readyState, CONNECTING: 0, OPEN: 1, frames, close: (code, reason) => void frames.push([code, reason]) };
}

describe("the signaling close catalogue", () => {
  it("gives every entry a 1xxx protocol code or a 4xxx code mirroring its HTTP status", () => {
    for (const [name, code] of Object.entries(signalingCloses)) {
      const valid = (code >= 1000 && code <= 1015) || (code >= 4400 && code <= 4599);
      expect({ name, valid }).toEqual({ name, valid: true });
    }
    expect(signalingClose("MalformedMessage")).toEqual({ code: 4400, name: "MalformedMessage", reason: "MalformedMessage" });
    expect(signalingClose("AuthenticationRequired").code).toBe(4401);
    expect(signalingClose("AuthenticationTimeout").code).toBe(4408);
    expect(signalingClose("UnknownMessageType").code).toBe(4422);
    expect(signalingClose("RateLimited").code).toBe(4429);
    expect(signalingClose("ServerShutdown").code).toBe(1001);
    expect(signalingClose("InternalError").code).toBe(1011);
  });

  it("writes a detail after the name and keeps the reason within a close frame's 123 bytes", () => {
    expect(signalingClose("MalformedMessage", "offer.sdp")).toEqual({ code: 4400, name: "MalformedMessage", reason: "MalformedMessage: offer.sdp" });
    const long = signalingClose("MalformedMessage", "x".repeat(500));
    expect(long.reason).toHaveLength(120);
    expect(long.name).toBe("MalformedMessage");
  });

  it("closes with 4401 for an authentication refusal and 4403 for an authorization refusal, the ACS code as reason", () => {
    expect(closeForAuthFailure(401, "TokenRevoked")).toEqual({ code: 4401, name: "TokenRevoked", reason: "TokenRevoked" });
    expect(closeForAuthFailure(403, "InsufficientScope")).toEqual({ code: 4403, name: "InsufficientScope", reason: "InsufficientScope" });
  });

  it("renders a close on an open or connecting socket only", () => {
    const open = socket(1);
    closeSocket(open, signalingClose("RateLimited"));
    expect(open.frames).toEqual([[4429, "RateLimited"]]);
    const connecting = socket(0);
    closeSocket(connecting, signalingClose("ServerShutdown"));
    expect(connecting.frames).toEqual([[1001, "ServerShutdown"]]);
    const closing = socket(2);
    closeSocket(closing, signalingClose("RateLimited"));
    expect(closing.frames).toEqual([]);
  });

  it("is what the message parser answers for a frame it refuses", () => {
    expect(parseClientMessage("{")).toEqual({ ok: false, close: signalingClose("MalformedMessage", "not JSON") });
    expect(parseClientMessage("[]")).toEqual({ ok: false, close: signalingClose("MalformedMessage", "not an object") });
    expect(parseClientMessage("{}")).toEqual({ ok: false, close: signalingClose("MalformedMessage", "no type") });
    expect(parseClientMessage('{"type":"dance"}')).toEqual({ ok: false, close: signalingClose("UnknownMessageType") });
    expect(parseClientMessage('{"type":"join"}')).toEqual({ ok: false, close: { code: 4400, name: "MalformedMessage", reason: "MalformedMessage: join.callId" } });
  });
});
