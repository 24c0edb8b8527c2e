import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { backendNames, freshPostgresUrl } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { eventually, identityWithToken, openSignaling, type SignalingTestClient } from "../support/signaling-client.js";

/**
 * Two replicas on one PostgreSQL database, a socket on each: call signaling and chat events cross between them over
 * LISTEN/NOTIFY (src/realtime/pg-realtime-bus.ts).
 */
describe.each(backendNames.filter((b) => b === "postgres"))("realtime across two replicas on one %s database", (backend) => {
  let r1: TestServer;
  let r2: TestServer;
  const sockets: SignalingTestClient[] = [];
  const open = (srv: TestServer) => {
    const s = openSignaling(srv);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    const databaseUrl = await freshPostgresUrl();
    r1 = await startTestServer({ backend, config: { databaseUrl, calling: { ringTimeoutSeconds: 10 } } });
    r2 = await startTestServer({ backend, config: { databaseUrl, calling: { ringTimeoutSeconds: 10 } } });
  });
  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await r2?.close();
    await r1?.close();
  });

  /** Caller on replica 1 rings callee on replica 2, who accepts; offer, answer and ICE relay both ways. */
  async function crossReplicaCall() {
    const caller = await identityWithToken(r1, ["voip"]);
    const callee = await identityWithToken(r1, ["voip"]);
    const s1 = open(r1);
    const s2 = open(r2);
    await s1.authenticate(caller.token);
    await s2.authenticate(callee.token);

    s1.send({ type: "startCall", callees: [callee.id], requestId: "start" });
    const started = await s1.next("callStarted");
    const callId = started.callId as string;
    expect(await s2.next("incomingCall")).toMatchObject({ callId, from: caller.id, caller: caller.id, participants: [caller.id] });

    s2.send({ type: "accept", callId, requestId: "acc" });
    const joined = await s2.next("joined", (m) => m.requestId === "acc");
    expect(joined).toMatchObject({ callId, caller: caller.id, participants: [{ identity: caller.id, audioMuted: false, videoMuted: false }] });
    expect(await s1.next("participantJoined")).toMatchObject({ callId, identity: callee.id });

    // The one who joins offers to everyone already in the call.
    s2.send({ type: "offer", callId, to: caller.id, sdp: "v=0 offer-from-callee" });
    expect(await s1.next("offer")).toMatchObject({ callId, from: callee.id, sdp: "v=0 offer-from-callee" });
    s1.send({ type: "answer", callId, to: callee.id, sdp: "v=0 answer-from-caller" });
    expect(await s2.next("answer")).toMatchObject({ callId, from: caller.id, sdp: "v=0 answer-from-caller" });
    const c1 = { candidate: "candidate:1 1 udp 2122260223 10.0.0.1 50000 typ host", sdpMid: "0", sdpMLineIndex: 0 };
    const c2 = { candidate: "candidate:2 1 udp 2122260223 10.0.0.2 50001 typ host", sdpMid: "0", sdpMLineIndex: 0 };
    s1.send({ type: "ice", callId, to: callee.id, candidate: c1 });
    s2.send({ type: "ice", callId, to: caller.id, candidate: c2 });
    expect(await s2.next("ice")).toMatchObject({ callId, from: caller.id, candidate: c1 });
    expect(await s1.next("ice")).toMatchObject({ callId, from: callee.id, candidate: c2 });
    s2.send({ type: "mute", callId, audio: true, video: false });
    expect(await s1.next("muteChanged")).toMatchObject({ callId, identity: callee.id, audioMuted: true, videoMuted: false });
    return { caller, callee, s1, s2, callId };
  }

  it("a caller on replica 1 rings a callee on replica 2: accept, offer, answer, ICE and mute relay both ways; hang-up ends it", async () => {
    const { s1, s2, callId, callee } = await crossReplicaCall();
    // A request about the remote call is refused by the replica that holds it, and the refusal comes back.
    s2.send({ type: "offer", callId, to: "8:acs:nobody_x", sdp: "v=0" });
    expect(await s2.next("error")).toMatchObject({ code: "ParticipantNotFound", callId });
    // Still in the call on replica 2: a second call from that socket is refused locally.
    s2.send({ type: "startCall", callees: [callee.id], requestId: "again" });
    expect(await s2.next("error", (m) => m.requestId === "again")).toMatchObject({ code: "AlreadyInCall" });

    s2.send({ type: "hangUp", callId, requestId: "bye" });
    expect(await s2.next("callEnded")).toMatchObject({ callId });
    expect(await s1.next("participantLeft")).toMatchObject({ callId, identity: callee.id, reason: "hangUp" });
    expect(await s1.next("callEnded")).toMatchObject({ callId, reason: "hangUp" });
    const record = await eventually(async () => {
      const r = await r2.server.calling.repository.get(callId);
      return r?.endedAt != null ? r : undefined;
    });
    expect(record.participants.map((p) => [p.identity, p.outcome])).toEqual([
      [record.caller, "joined"],
      [callee.id, "joined"],
    ]);
  });

  it("relays 200 ICE candidates from replica 2 to replica 1 one by one, each intact (relay latency logged; measured in bench/RESULTS.md)", async () => {
    const { caller, s1, s2, callId } = await crossReplicaCall();
    const latencies: number[] = [];
    const received: unknown[] = [];
    const sent: unknown[] = [];
    for (let i = 0; i < 200; i++) {
      const candidate = { candidate: `candidate:${i} 1 udp 2122260223 10.0.0.3 ${40000 + i} typ host`, sdpMid: "0", sdpMLineIndex: 0 };
      sent.push(candidate);
      const t = performance.now();
      s2.send({ type: "ice", callId, to: caller.id, candidate });
      const message = await s1.next("ice", (m) => m.candidate.candidate === candidate.candidate);
      latencies.push(performance.now() - t);
      expect(message).toMatchObject({ callId, from: expect.any(String) });
      received.push(message.candidate);
    }
    expect(received).toEqual(sent);
    latencies.sort((x, y) => x - y);
    console.log(`[realtime] replica 2 → replica 1 relay (sender socket → home replica → receiver): p50 ${latencies[99]!.toFixed(1)} ms, p99 ${latencies[197]!.toFixed(1)} ms`);
    s1.send({ type: "hangUp", callId });
    await s2.next("callEnded");
  });

  it("a callee on replica 2 rejects a call held on replica 1", async () => {
    const caller = await identityWithToken(r1, ["voip"]);
    const callee = await identityWithToken(r1, ["voip"]);
    const s1 = open(r1);
    const s2 = open(r2);
    await s1.authenticate(caller.token);
    await s2.authenticate(callee.token);
    s1.send({ type: "startCall", callees: [callee.id] });
    const { callId } = await s1.next("callStarted");
    await s2.next("incomingCall");
    s2.send({ type: "reject", callId });
    expect(await s2.next("incomingCallEnded")).toMatchObject({ callId, reason: "rejected" });
    expect(await s1.next("participantRejected")).toMatchObject({ callId, identity: callee.id });
    expect(await s1.next("callEnded")).toMatchObject({ callId, reason: "rejected" });
  });

  it("revoking the remote participant (through replica 1) closes its socket on replica 2 within one second and ends its part", async () => {
    const { callee, s1, s2, callId } = await crossReplicaCall();
    const t0 = performance.now();
    await r1.server.core.identities.revokeTokens(r1.currentResource(), callee.id);
    const closed = await s2.closed;
    expect(closed).toMatchObject({ code: 4401, reason: "TokenRevoked" });
    expect(closed.at - t0).toBeLessThan(1000);
    expect(await s1.next("participantLeft")).toMatchObject({ callId, identity: callee.id, reason: "tokenRevoked" });
    expect(await s1.next("callEnded")).toMatchObject({ callId, reason: "tokenRevoked" });
    expect(performance.now() - t0).toBeLessThan(1000);
    console.log(`[realtime] remote participant revoked: socket closed after ${(closed.at - t0).toFixed(1)} ms`);
  });

  it("revoking the caller (through replica 2) closes its socket on replica 1 within one second and ends the call on replica 2", async () => {
    const { caller, s1, s2, callId } = await crossReplicaCall();
    const t0 = performance.now();
    await r2.server.core.identities.revokeTokens(r2.currentResource(), caller.id);
    const closed = await s1.closed;
    expect(closed).toMatchObject({ code: 4401, reason: "TokenRevoked" });
    expect(closed.at - t0).toBeLessThan(1000);
    expect(await s2.next("callEnded")).toMatchObject({ callId, reason: "tokenRevoked" });
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("the home replica stopping ends the call for the participant on the other replica (serverShutdown)", async () => {
    // A third replica holds this call, so the others keep serving the rest of the suite.
    const r3 = await startTestServer({ backend, config: { databaseUrl: r1.server.core.config.databaseUrl! } });
    try {
      const caller = await identityWithToken(r3, ["voip"]);
      const callee = await identityWithToken(r3, ["voip"]);
      const s3 = open(r3);
      const s2 = open(r2);
      await s3.authenticate(caller.token);
      await s2.authenticate(callee.token);
      s3.send({ type: "startCall", callees: [callee.id] });
      const { callId } = await s3.next("callStarted");
      await s2.next("incomingCall");
      s2.send({ type: "accept", callId });
      await s2.next("joined");
      await r3.close();
      expect(await s2.next("callEnded")).toMatchObject({ callId, reason: "serverShutdown" });
      // Free again on replica 2: it may start a new call.
      const other = await identityWithToken(r2, ["voip"]);
      s2.send({ type: "startCall", callees: [other.id], requestId: "next" });
      expect(await s2.next("callStarted", (m) => m.requestId === "next")).toMatchObject({ requestId: "next" });
    } finally {
      await r3.close().catch(() => undefined);
    }
  });

  it("chat events reach a participant connected to the other replica, large messages included", async () => {
    const alice = await identityWithToken(r1, ["chat"]);
    const bob = await identityWithToken(r1, ["chat"]);
    const carol = await identityWithToken(r1, ["chat"]);
    const s2 = open(r2);
    const outsider = open(r2);
    await s2.authenticate(bob.token);
    await outsider.authenticate(carol.token);
    const chat = new ChatClient(r1.httpsUrl, new AzureCommunicationTokenCredential(alice.token));
    const { chatThread } = await chat.createChatThread({ topic: "across" }, { participants: [{ id: { communicationUserId: bob.id } }] });
    const thread = chat.getChatThreadClient(chatThread!.id);
    await thread.sendMessage({ content: "across replicas" });
    expect((await s2.next("chatEvent", (m) => m.event === "chatMessageReceived")).payload).toMatchObject({
      threadId: chatThread!.id,
      message: "across replicas",
      recipient: { kind: "communicationUser", communicationUserId: bob.id },
    });
    // Over NOTIFY's 8000-byte payload limit: sent in chunks, reassembled.
    const big = "é".repeat(12_000);
    await thread.sendMessage({ content: big });
    expect((await s2.next("chatEvent", (m) => m.event === "chatMessageReceived" && m.payload.message.length > 100)).payload.message).toBe(big);
    expect(outsider.messages.map((m) => m.type)).toEqual(["authenticated"]);
  });
});
