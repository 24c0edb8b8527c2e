import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixedClock } from "../../src/util/clock.js";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { eventually, identityWithToken, openSignaling, type SignalingTestClient } from "./signaling-client.js";

/** Lets the server handle what is already on the wire (no clock time passes). */
const settle = () => new Promise((r) => setTimeout(r, 50));

/**
 * Calling's timers wait on the injected clock: a test moves time instead of sleeping, and sees that nothing happens
 * a millisecond early.
 */
describe.each(backendNames)("calling timers on the injected clock (%s)", (backend) => {
  let srv: TestServer;
  const clock = createFixedClock(Date.now());
  const sockets: SignalingTestClient[] = [];
  const open = () => {
    const s = openSignaling(srv);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    srv = await startTestServer({ backend, clock, config: { calling: { ringTimeoutSeconds: 30 } } });
  });
  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await srv.close();
  });

  it("closes a socket with 4401 TokenExpired when the clock passes its token's expiry, not before", async () => {
    const a = await identityWithToken(srv, ["voip"]);
    const notAfter = Math.floor(clock.now() / 1000) + 3600;
    const token = srv.server.core.userTokens.issue({ identity: a.id, resourceId: srv.resource.id, scopes: ["voip"], lifetimeMinutes: 60, generation: 0, notAfter });
    const s = open();
    await s.authenticate(token.token);
    clock.set(notAfter * 1000 - 1);
    await settle();
    expect(s.ws.readyState).toBe(s.ws.OPEN);
    clock.set(notAfter * 1000 + 10);
    expect(await s.closed).toMatchObject({ code: 4401, reason: "TokenExpired" });
  });

  it("rings an unanswered callee for ringTimeoutSeconds of clock time, then ends the call as noAnswer", async () => {
    const a = await identityWithToken(srv, ["voip"]);
    const b = await identityWithToken(srv, ["voip"]);
    const sa = open();
    const sb = open();
    await sa.authenticate(a.token);
    await sb.authenticate(b.token);
    sa.send({ type: "startCall", callees: [b.id] });
    const started = await sa.next("callStarted");
    await sb.next("incomingCall", (m) => m.callId === started.callId);
    clock.advance(30_000 - 1);
    await settle();
    expect(sb.messages.map((m) => m.type)).not.toContain("incomingCallEnded");
    expect(sa.messages.map((m) => m.type)).not.toContain("callEnded");
    clock.advance(1);
    expect(await sb.next("incomingCallEnded", (m) => m.callId === started.callId)).toMatchObject({ reason: "noAnswer" });
    expect(await sa.next("callEnded", (m) => m.callId === started.callId)).toMatchObject({ reason: "noAnswer" });
    const record = await eventually(async () => {
      const r = await srv.server.calling.repository.get(started.callId);
      return r?.endedAt != null ? r : undefined;
    });
    expect(record).toMatchObject({ endReason: "noAnswer" });
    expect(record.participants.find((p) => p.identity === b.id)).toMatchObject({ outcome: "missed", joinedAt: null });
    expect(record.endedAt! - record.startedAt).toBe(30_000);
  });
});
