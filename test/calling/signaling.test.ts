import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCore } from "../../src/app.js";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { eventually, identityWithToken, ringingCall, signalingSockets } from "../support/signaling-client.js";

describe.each(backendNames)("calling signaling over WebSocket (%s)", (backend) => {
  let srv: TestServer;
  const { open, terminateAll } = signalingSockets(() => srv);

  beforeAll(async () => {
    // The auth timeout itself is tested on the injected clock (calling-clock.test.ts): a loaded machine never trips it here.
    srv = await startTestServer({ backend, config: { calling: { authTimeoutMs: 30_000, ringTimeoutSeconds: 5 } } });
  });
  afterAll(async () => {
    terminateAll();
    await srv.close();
  });

  /** A answers B's call: both sockets authenticated and in the call. */
  async function establishedCall() {
    const { a, b, sa, sb, callId, incoming } = await ringingCall(srv, open);
    expect(incoming).toMatchObject({ callId, from: a.id, caller: a.id, participants: [a.id] });
    sb.send({ type: "accept", callId, requestId: "r1" });
    const joined = await sb.next("joined");
    expect(joined.participants).toEqual([{ identity: a.id, audioMuted: false, videoMuted: false }]);
    await sa.next("participantJoined", (m) => m.identity === b.id);
    return { a, b, sa, sb, callId };
  }

  const callRecord = (callId: string) =>
    eventually(async () => {
      const record = await srv.server.calling.repository.get(callId);
      return record?.endedAt != null ? record : undefined;
    });

  it("authenticates a voip token sent as the first message and selects the subprotocol", async () => {
    const a = await identityWithToken(srv, ["voip"]);
    const s = open();
    const auth = await s.authenticate(a.token);
    expect(auth).toMatchObject({ type: "authenticated", requestId: "auth", identity: a.id, scopes: ["voip"], maxParticipants: 8 });
    expect(s.ws.protocol).toBe("switchboard.calling.v1");
    expect(srv.readLog()).not.toContain(a.token);
  });

  it("re-authenticates an open socket with a refreshed token of the same identity (tokenRefresher), not another's", async () => {
    const a = await identityWithToken(srv, ["voip"]);
    const b = await identityWithToken(srv, ["voip"]);
    const s = open();
    await s.authenticate(a.token);
    const fresh = await srv.server.core.identities.issueToken(srv.currentResource(), { kind: "operator", name: "test" }, a.id, ["voip.join"], 90);
    s.send({ type: "auth", token: fresh.token, requestId: "refresh" });
    expect(await s.next("authenticated", (m) => m.requestId === "refresh")).toMatchObject({ identity: a.id, scopes: ["voip.join"], expiresOn: fresh.expiresOn });
    s.send({ type: "startCall", callees: [b.id], requestId: "after" });
    expect(await s.next("error", (m) => m.requestId === "after")).toMatchObject({ code: "InsufficientScope" });
    s.send({ type: "auth", token: b.token });
    expect(await s.closed).toMatchObject({ code: 4401, reason: "IdentityMismatch" });
  });

  it("closes a socket that sends a request before authenticating (4401); never authenticating (4408): calling-clock.test.ts", async () => {
    const eager = open();
    await eager.opened;
    eager.send({ type: "startCall", callees: ["8:acs:x_y"] });
    expect(await eager.closed).toMatchObject({ code: 4401, reason: "AuthenticationRequired" });

    const noToken = open();
    await noToken.opened;
    noToken.send({ type: "auth" });
    expect(await noToken.closed).toMatchObject({ code: 4400, reason: "MalformedMessage: auth.token" });

    const garbage = open();
    await garbage.opened;
    garbage.send({ type: "auth", token: "not-a-jwt" });
    expect(await garbage.closed).toMatchObject({ code: 4401, reason: "InvalidToken" });
  });

  // A socket closed when its token expires: calling-clock.test.ts (on the injected clock, no real wait).
  it("refuses an expired token", async () => {
    const core = srv.server.core;
    const a = await identityWithToken(srv, ["voip"]);
    const nowSec = Math.floor(Date.now() / 1000);
    const expired = await core.userTokens.issue({ identity: a.id, resourceId: srv.resource.id, scopes: ["voip"], lifetimeMinutes: 60, generation: 0, notAfter: nowSec - 5 });
    const s1 = open();
    await s1.opened;
    s1.send({ type: "auth", token: expired.token });
    expect(await s1.closed).toMatchObject({ code: 4401, reason: "TokenExpired" });
  });

  it("refuses a token with neither chat nor voip scopes (4403 InsufficientScope); a chat-only token may not call", async () => {
    const c = await identityWithToken(srv, ["chat.join"]);
    const s = open();
    await s.opened;
    s.send({ type: "auth", token: c.token });
    expect(await s.closed).toMatchObject({ code: 4403, reason: "InsufficientScope" });

    const chatOnly = await identityWithToken(srv, ["chat"]);
    const callee = await identityWithToken(srv, ["voip"]);
    const t = open();
    await t.authenticate(chatOnly.token);
    t.send({ type: "startCall", callees: [callee.id], requestId: "c" });
    expect(await t.next("error", (m) => m.requestId === "c")).toMatchObject({ code: "InsufficientScope" });
  });

  it("lets voip.join accept an invitation but neither start a call nor join one it was not invited to", async () => {
    const a = await identityWithToken(srv, ["voip"]);
    const j = await identityWithToken(srv, ["voip.join"]);
    const k = await identityWithToken(srv, ["voip.join"]);
    const sa = open();
    const sj = open();
    const sk = open();
    await sa.authenticate(a.token);
    await sj.authenticate(j.token);
    await sk.authenticate(k.token);

    sj.send({ type: "startCall", callees: [a.id], requestId: "j1" });
    expect(await sj.next("error", (m) => m.requestId === "j1")).toMatchObject({ code: "InsufficientScope", for: "startCall" });

    sa.send({ type: "startCall", callees: [j.id] });
    const { callId } = await sa.next("callStarted");
    await sj.next("incomingCall");
    sk.send({ type: "join", callId, requestId: "k1" });
    expect(await sk.next("error", (m) => m.requestId === "k1")).toMatchObject({ code: "NotInvited", callId });
    sj.send({ type: "invite", callId, callees: [k.id], requestId: "j2" });
    sj.send({ type: "accept", callId, requestId: "j3" });
    expect(await sj.next("joined", (m) => m.requestId === "j3")).toMatchObject({ callId, caller: a.id });
    const refused = await sj.next("error", (m) => m.requestId === "j2");
    expect(refused.code).toBe("InsufficientScope");
    expect(sj.ws.readyState).toBe(sj.ws.OPEN);
    expect(sk.ws.readyState).toBe(sk.ws.OPEN);
  });

  it("refuses a callee of another resource, and that resource's token on this resource's host", async () => {
    const core = srv.server.core;
    const port = new URL(srv.httpsUrl).port;
    const other = await core.resources.create(`other-${backend}`, [`other-${backend}.test:${port}`]);
    await core.registry.settled();
    const foreign = await identityWithToken(srv, ["voip"], other);
    const a = await identityWithToken(srv, ["voip"]);
    const sa = open();
    await sa.authenticate(a.token);
    sa.send({ type: "startCall", callees: [foreign.id], requestId: "x1" });
    expect(await sa.next("error", (m) => m.requestId === "x1")).toMatchObject({ code: "CalleeNotFound", target: foreign.id });

    const wrongHost = open();
    await wrongHost.opened;
    wrongHost.send({ type: "auth", token: foreign.token });
    expect(await wrongHost.closed).toMatchObject({ code: 4401, reason: "TokenResourceMismatch" });

    const ownHost = open({ host: `other-${backend}.test:${port}` });
    expect(await ownHost.authenticate(foreign.token)).toMatchObject({ identity: foreign.id });
    ownHost.send({ type: "startCall", callees: [a.id], requestId: "x2" });
    expect(await ownHost.next("error", (m) => m.requestId === "x2")).toMatchObject({ code: "CalleeNotFound", target: a.id });
  });

  it("closes the socket on malformed, unknown, binary and oversized frames, and keeps serving", async () => {
    const a = await identityWithToken(srv, ["voip"]);
    const cases: Array<[unknown, number, string]> = [
      ["{not json", 4400, "MalformedMessage: not JSON"],
      [JSON.stringify([1, 2]), 4400, "MalformedMessage: not an object"],
      [{ type: "teleport" }, 4422, "UnknownMessageType"],
      [{ type: "offer", callId: "c", to: "x" }, 4400, "MalformedMessage: offer.sdp"],
      [{ type: "mute", callId: "c", audio: "yes", video: false }, 4400, "MalformedMessage: mute.audio"],
    ];
    for (const [frame, code, reason] of cases) {
      const s = open();
      await s.authenticate(a.token);
      s.send(frame);
      expect(await s.closed).toMatchObject({ code, reason });
    }
    const binary = open();
    await binary.authenticate(a.token);
    binary.ws.send(Buffer.from([1, 2, 3]));
    expect(await binary.closed).toMatchObject({ code: 1003, reason: "BinaryFramesNotSupported" });

    const big = open();
    await big.authenticate(a.token);
    big.send({ type: "offer", callId: "c", to: "x", sdp: "v".repeat(70_000) });
    expect((await big.closed).code).toBe(1009);

    const after = open();
    expect(await after.authenticate(a.token)).toMatchObject({ identity: a.id });
    const health = await fetch(`${srv.httpsUrl}/health/live`);
    expect(health.status).toBe(200);
  });

  it("rate-limits a flood of messages (4429) without harming other sockets", async () => {
    const { sa, sb, callId } = await establishedCall();
    for (let i = 0; i < 5000; i++) sa.send({ type: "mute", callId, audio: i % 2 === 0, video: false });
    expect(await sa.closed).toMatchObject({ code: 4429, reason: "RateLimited" });
    const mutes = sb.messages.filter((m) => m.type === "muteChanged").length;
    expect(mutes).toBeGreaterThan(0);
    expect(mutes).toBeLessThanOrEqual(200 + 50);
    expect(await sb.next("callEnded")).toMatchObject({ callId, reason: "disconnected" });
    expect(sb.ws.readyState).toBe(sb.ws.OPEN);
    const health = await fetch(`${srv.httpsUrl}/health/live`);
    expect(health.status).toBe(200);
  });

  it("holds eight participants in one call (full mesh relays) and refuses a ninth", async () => {
    const people = await Promise.all(Array.from({ length: 9 }, () => identityWithToken(srv, ["voip"])));
    const socks = people.map(() => open());
    await Promise.all(socks.map((s, i) => s.authenticate(people[i]!.token)));
    socks[0]!.send({ type: "startCall", callees: people.slice(1, 8).map((p) => p.id) });
    const { callId } = await socks[0]!.next("callStarted");
    for (let i = 1; i < 8; i++) {
      await socks[i]!.next("incomingCall", (m) => m.callId === callId);
      socks[i]!.send({ type: "accept", callId });
      const joined = await socks[i]!.next("joined", (m) => m.callId === callId);
      expect(joined.participants).toHaveLength(i);
    }
    // The last joiner's offers reach every earlier participant.
    for (let i = 0; i < 7; i++) socks[7]!.send({ type: "offer", callId, to: people[i]!.id, sdp: `v=0 from 7 to ${i}` });
    for (let i = 0; i < 7; i++) expect(await socks[i]!.next("offer", (m) => m.from === people[7]!.id)).toMatchObject({ sdp: `v=0 from 7 to ${i}` });
    socks[8]!.send({ type: "join", callId, requestId: "ninth" });
    expect(await socks[8]!.next("error", (m) => m.requestId === "ninth")).toMatchObject({ code: "CallFull" });
    for (let i = 7; i >= 1; i--) socks[i]!.send({ type: "hangUp", callId });
    expect(await socks[0]!.next("callEnded", (m) => m.callId === callId)).toMatchObject({ reason: "hangUp" });
    const record = await callRecord(callId);
    expect(record.participants.filter((p) => p.outcome === "joined")).toHaveLength(8);
  });

  it("relays offers, answers, candidates and mute state only between participants of the call", async () => {
    const { a, b, sa, sb, callId } = await establishedCall();
    sb.send({ type: "offer", callId, to: a.id, sdp: "v=0 offer" });
    expect(await sa.next("offer")).toEqual({ type: "offer", callId, from: b.id, sdp: "v=0 offer" });
    sa.send({ type: "answer", callId, to: b.id, sdp: "v=0 answer" });
    expect(await sb.next("answer")).toEqual({ type: "answer", callId, from: a.id, sdp: "v=0 answer" });
    const candidate = { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0 };
    sa.send({ type: "ice", callId, to: b.id, candidate });
    expect(await sb.next("ice")).toEqual({ type: "ice", callId, from: a.id, candidate });
    sb.send({ type: "mute", callId, audio: true, video: false });
    expect(await sa.next("muteChanged")).toMatchObject({ identity: b.id, audioMuted: true, videoMuted: false });

    const outsider = await identityWithToken(srv, ["voip"]);
    const so = open();
    await so.authenticate(outsider.token);
    so.send({ type: "offer", callId, to: a.id, sdp: "v=0 intrusion" });
    expect(await so.next("error")).toMatchObject({ code: "NotInCall" });
    sa.send({ type: "offer", callId, to: outsider.id, sdp: "v=0" });
    expect(await sa.next("error")).toMatchObject({ code: "ParticipantNotFound", target: outsider.id });

    sa.send({ type: "hangUp", callId });
    expect(await sb.next("callEnded")).toMatchObject({ callId, reason: "hangUp" });
    const record = await callRecord(callId);
    expect(record).toMatchObject({ caller: a.id, endReason: "hangUp" });
    expect(record.participants.map((p) => [p.identity, p.role, p.outcome])).toEqual([
      [a.id, "caller", "joined"],
      [b.id, "invitee", "joined"],
    ]);
  });

  it("closes a revoked token's socket mid-call within one second and ends the call", async () => {
    const { a, b, sa, sb, callId } = await establishedCall();
    const t0 = performance.now();
    await srv.server.core.identities.revokeTokens(srv.currentResource(), a.id);
    const closed = await sa.closed;
    const elapsed = closed.at - t0;
    expect(closed).toMatchObject({ code: 4401, reason: "TokenRevoked" });
    expect(elapsed).toBeLessThan(1000);
    console.log(`[calling] revoked in-process: socket closed after ${elapsed.toFixed(1)} ms`);
    expect(await sb.next("callEnded")).toMatchObject({ callId, reason: "tokenRevoked" });
    const record = await callRecord(callId);
    expect(record.endReason).toBe("tokenRevoked");
    expect(record.participants.find((p) => p.identity === a.id)?.leaveReason).toBe("tokenRevoked");
    expect(record.participants.find((p) => p.identity === b.id)?.leaveReason).toBe("callEnded");
  });

  it("closes the socket within one second when another process (the CLI) revokes the token", async () => {
    const a = await identityWithToken(srv, ["voip"]);
    const sa = open();
    await sa.authenticate(a.token);
    const cli = await openCore({ ...srv.server.core.config, log: { level: "silent" } });
    try {
      const t0 = performance.now();
      await cli.identities.revokeTokens(cli.registry.get(srv.resource.id)!, a.id);
      const closed = await sa.closed;
      expect(closed).toMatchObject({ code: 4401, reason: "TokenRevoked" });
      expect(closed.at - t0).toBeLessThan(1000);
      console.log(`[calling] revoked by another process: socket closed after ${(closed.at - t0).toFixed(1)} ms`);
    } finally {
      await cli.close();
    }
  });

  it("closes the socket of a deleted identity and of a token issued through a regenerated key", async () => {
    const core = srv.server.core;
    const a = await identityWithToken(srv, ["voip"]);
    const sa = open();
    await sa.authenticate(a.token);
    await core.identities.delete(srv.currentResource(), a.id);
    expect(await sa.closed).toMatchObject({ code: 4401, reason: "IdentityDeleted" });

    const keyId = srv.currentResource().keys.secondary.id;
    const b = await identityWithToken(srv, ["voip"]);
    const keyed = await core.userTokens.issue({ identity: b.id, resourceId: srv.resource.id, scopes: ["voip"], lifetimeMinutes: 60, generation: 0, accessKeyId: keyId });
    const sb = open();
    await sb.authenticate(keyed.token);
    await core.resources.regenerateKey(srv.resource.id, "secondary");
    expect(await sb.closed).toMatchObject({ code: 4401, reason: "AccessKeyRegenerated" });
  });

  it("records rejected and unanswered calls, and serves records through the authenticated API", async () => {
    const { a, b, sa, sb, callId: firstId } = await ringingCall(srv, open);
    const first = { callId: firstId };
    sb.send({ type: "reject", callId: first.callId });
    expect(await sa.next("callEnded", (m) => m.callId === first.callId)).toMatchObject({ reason: "rejected" });

    sa.send({ type: "startCall", callees: [b.id] });
    const second = await sa.next("callStarted", (m) => m.callId !== first.callId);
    sa.send({ type: "hangUp", callId: second.callId });
    expect(await sb.next("incomingCallEnded", (m) => m.callId === second.callId)).toMatchObject({ reason: "cancelled" });

    await callRecord(first.callId);
    await callRecord(second.callId);
    const key = srv.currentResource().keys.primary.value;
    const url = `${srv.httpUrl}/calling/calls?identity=${encodeURIComponent(b.id)}`;
    const listed = await signedFetch(url, { accessKey: key });
    expect(listed.status).toBe(200);
    expect(listed.body.value.map((c: any) => [c.id, c.endReason, c.durationMs])).toEqual([
      [second.callId, "cancelled", 0],
      [first.callId, "rejected", 0],
    ]);
    expect(listed.body.value[1].participants[1]).toMatchObject({ identity: b.id, outcome: "rejected", joinedAt: null, durationMs: null });
    expect(listed.body.value[0].participants[1]).toMatchObject({ identity: b.id, outcome: "missed" });

    const one = await signedFetch(`${srv.httpUrl}/calling/calls/${first.callId}`, { accessKey: key });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: first.callId, caller: a.id });

    const unsigned = await fetch(url);
    expect(unsigned.status).toBe(401);
    const badIdentity = await signedFetch(`${srv.httpUrl}/calling/calls?identity=nobody`, { accessKey: key });
    expect(badIdentity).toMatchObject({ status: 400, body: { error: { code: "InvalidIdentifier" } } });
    const badLimit = await signedFetch(`${srv.httpUrl}/calling/calls?limit=0`, { accessKey: key });
    expect(badLimit).toMatchObject({ status: 400, body: { error: { code: "InvalidQueryParameter" } } });
    const missing = await signedFetch(`${srv.httpUrl}/calling/calls/nope`, { accessKey: key });
    expect(missing).toMatchObject({ status: 404, body: { error: { code: "CallNotFound" } } });
  });

  it("logs a socket's connect and revoke events by identity, and never its token", async () => {
    const a = await identityWithToken(srv, ["voip"]);
    const sa = open();
    await sa.authenticate(a.token);
    await srv.server.core.identities.revokeTokens(srv.currentResource(), a.id);
    expect(await sa.closed).toMatchObject({ code: 4401, reason: "TokenRevoked" });
    const mine = srv
      .readLog()
      .split("\n")
      .filter((line) => line.includes(a.id))
      .map((line) => JSON.parse(line) as { op?: string });
    expect(mine.map((e) => e.op)).toEqual(expect.arrayContaining(["calling.connect", "calling.revoke"]));
    expect(srv.readLog()).not.toContain(a.token);
    expect(srv.readLog()).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });
});
