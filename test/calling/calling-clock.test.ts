import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixedClock } from "../../src/util/clock.js";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { eventually, identityWithToken, ringingCall, signalingSockets } from "../support/signaling-client.js";

/** Lets the server handle what is already on the wire (no clock time passes). */
const settle = () => new Promise((r) => setTimeout(r, 50));

/**
 * Calling's timers wait on the injected clock: a test moves time instead of sleeping, and sees that nothing happens
 * a millisecond early.
 */
describe.each(backendNames)("calling timers on the injected clock (%s)", (backend) => {
  let srv: TestServer;
  const clock = createFixedClock(Date.now());
  const { open, terminateAll } = signalingSockets(() => srv);

  beforeAll(async () => {
    srv = await startTestServer({ backend, clock, config: { calling: { ringTimeoutSeconds: 30, authTimeoutMs: 5_000 } } });
  });
  afterAll(async () => {
    terminateAll();
    await srv.close();
  });

  it("closes a socket with 4401 TokenExpired when the clock passes its token's expiry, not before", async () => {
    const a = await identityWithToken(srv, ["voip"]);
    const notAfter = Math.floor(clock.now() / 1000) + 3600;
    const token = await srv.server.core.userTokens.issue({ identity: a.id, resourceId: srv.resource.id, scopes: ["voip"], lifetimeMinutes: 60, generation: 0, notAfter });
    const s = open();
    await s.authenticate(token.token);
    clock.set(notAfter * 1000 - 1);
    await settle();
    expect(s.ws.readyState).toBe(s.ws.OPEN);
    clock.set(notAfter * 1000 + 10);
    expect(await s.closed).toMatchObject({ code: 4401, reason: "TokenExpired" });
  });

  it("closes a socket that never authenticates with 4408 AuthenticationTimeout after authTimeoutMs of clock time, not before", async () => {
    const silent = open();
    await silent.opened;
    await settle();
    clock.advance(5_000 - 1);
    await settle();
    expect(silent.ws.readyState).toBe(silent.ws.OPEN);
    clock.advance(1);
    expect(await silent.closed).toMatchObject({ code: 4408, reason: "AuthenticationTimeout" });
  });

  it("rings an unanswered callee for ringTimeoutSeconds of clock time, then ends the call as noAnswer", async () => {
    const { b, sa, sb, callId } = await ringingCall(srv, () => open());
    const started = { callId };
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
