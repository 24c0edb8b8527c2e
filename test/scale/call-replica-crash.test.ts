import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCore, type Core } from "../../src/app.js";
import { CallRepository } from "../../src/calling/call-repository.js";
import { loadConfig } from "../../src/config/config.js";
import { generateAccessKey } from "../../src/util/crypto.js";
import { SignalingTestClient } from "../support/signaling-client.js";
import { startWebhookReceiver, waitFor, type WebhookReceiver } from "../events/webhook-receiver.js";
import { backendNames, freshPostgresUrl } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import { identityClient, startChildServer, type ChildServer } from "./child-server.js";

/** Fast heartbeats so a dead replica is noticed within about a second (defaults: 2 s / 10 s). */
const WATCH_ENV = { SWITCHBOARD_CALLING_REPLICA_HEARTBEAT_MS: "100", SWITCHBOARD_CALLING_REPLICA_TIMEOUT_MS: "1000" };
const CALL_ENDED = "Microsoft.Communication.CallEnded";

function openSocket(server: ChildServer): SignalingTestClient {
  return new SignalingTestClient(new WebSocket(`${server.httpsUrl.replace("https:", "wss:")}/calling/signaling`, "switchboard.calling.v1", { rejectUnauthorized: false }));
}

interface Delivered {
  id: string;
  eventType: string;
  subject: string;
  data: Record<string, any>;
}

/**
 * A call between two replicas survives the replica holding it being killed with SIGKILL: the surviving participant's
 * socket is told the call ended, the record is closed (end time, reason serverFailure) and CallEnded is raised once,
 * although two replicas survive and both sweep. Real processes (the CLI) on one PostgreSQL schema.
 */
describe.each(backendNames.filter((b) => b === "postgres"))("a call whose replica is killed (%s)", () => {
  const primary = generateAccessKey();
  const secondary = generateAccessKey();
  let r1: ChildServer;
  let r2: ChildServer;
  let r3: ChildServer;
  let admin: Core;
  let receiver: WebhookReceiver;
  const sockets: SignalingTestClient[] = [];

  beforeAll(async () => {
    const databaseUrl = await freshPostgresUrl();
    const start = () => startChildServer({ databaseUrl, primaryKey: primary, secondaryKey: secondary, env: WATCH_ENV });
    r1 = await start();
    [r2, r3] = await Promise.all([start(), start()]);
    admin = await openCore(loadConfig({ overrides: { databaseUrl, log: { level: "silent" } } }));
    receiver = await startWebhookReceiver();
  }, 180_000);

  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await admin?.close();
    await Promise.all([r1?.stop(), r2?.stop(), r3?.stop()]);
    await receiver?.close();
  });

  it("SIGKILL of the caller's replica: the callee hears callEnded (serverFailure), the record is closed, CallEnded once", async () => {
    const resource = admin.registry.get(admin.defaultResource.id)!;
    const sub = await admin.events.subscriptions.subscribe(resource, { endpoint: receiver.url, types: [CALL_ENDED, "Microsoft.Communication.CallParticipantRemoved"] });
    expect(sub.status).toBe("active");

    const ids = identityClient(r1.httpUrl, primary);
    const caller = (await ids.createWithToken(["voip"])).body;
    const callee = (await ids.createWithToken(["voip"])).body;
    const s1 = openSocket(r1);
    const s2 = openSocket(r2);
    sockets.push(s1, s2);
    await s1.authenticate(caller.accessToken.token);
    await s2.authenticate(callee.accessToken.token);

    // Connected across replicas: ring, accept, offer and answer both ways.
    s1.send({ type: "startCall", callees: [callee.identity.id], requestId: "start" });
    const { callId } = await s1.next("callStarted");
    await s2.next("incomingCall", (m) => m.callId === callId);
    s2.send({ type: "accept", callId, requestId: "acc" });
    await s2.next("joined", (m) => m.callId === callId);
    await s1.next("participantJoined", (m) => m.identity === callee.identity.id);
    s2.send({ type: "offer", callId, to: caller.identity.id, sdp: "v=0 offer" });
    await s1.next("offer", (m) => m.from === callee.identity.id);
    s1.send({ type: "answer", callId, to: callee.identity.id, sdp: "v=0 answer" });
    await s2.next("answer", (m) => m.from === caller.identity.id);
    const running = await waitFor(async () => {
      const row = await admin.store.db.selectFrom("calls").selectAll().where("id", "=", callId).executeTakeFirst();
      return row?.answered_at != null && row;
    }, "the answered call saved");
    expect(running.ended_at).toBeNull();

    r1.proc.kill("SIGKILL");
    expect(await r1.exited).toBe("SIGKILL");

    // The survivor's socket is told, with a reason, and stays open (it may call again).
    const ended = await s2.next("callEnded", (m) => m.callId === callId, 15_000);
    expect(ended.reason).toBe("serverFailure");

    // The record is closed, not "in progress" forever; both participants left.
    const record = await waitFor(async () => {
      const r = await new CallRepository(admin.store).get(callId);
      return r?.endedAt != null && r;
    }, "the call record closed", 15_000);
    expect(record).toMatchObject({ endReason: "serverFailure", caller: caller.identity.id });
    expect(record.endedAt!).toBeGreaterThanOrEqual(record.answeredAt!);
    expect(record.durationMs).toBe(record.endedAt! - record.answeredAt!);
    for (const p of record.participants) expect(p).toMatchObject({ outcome: "joined", leaveReason: "callEnded" });
    expect(record.participants.map((p) => p.identity).sort()).toEqual([caller.identity.id, callee.identity.id].sort());

    // CallEnded reaches the webhook once, though two replicas survive and both sweep.
    const events = () => receiver.notifications().flatMap((n) => JSON.parse(n.body) as Delivered[]).filter((e) => e.data.serverCallId === callId);
    const first = await waitFor(() => events().find((e) => e.eventType === CALL_ENDED), "CallEnded delivered", 15_000);
    expect(first.subject).toBe(`call/${callId}/startedBy/${caller.identity.id}`);
    expect(first.data.reason).toMatchObject({ code: 500 });
    await waitFor(() => events().filter((e) => e.eventType.endsWith("CallParticipantRemoved")).length >= 2 || undefined, "both participants removed");
    // A duplicate would come from r3's sweeps (every 100 ms) or another delivery (polled every 250 ms).
    await new Promise((r) => setTimeout(r, 1_500));
    expect(events().filter((e) => e.eventType === CALL_ENDED)).toHaveLength(1);
    expect(
      events()
        .filter((e) => e.eventType.endsWith("CallParticipantRemoved"))
        .map((e) => e.data.user.communicationIdentifier.rawId)
        .sort(),
    ).toEqual([caller.identity.id, callee.identity.id].sort());

    // The survivor's socket still works: it can start a new call on its own replica.
    s2.send({ type: "startCall", callees: [caller.identity.id], requestId: "again" });
    expect((await s2.next("callStarted", (m) => m.requestId === "again")).callId).not.toBe(callId);
  }, 120_000);
});

/** One process on SQLite: a server restarted after SIGKILL closes the call its previous life left "in progress". */
describe("a call open when its only server is killed (sqlite)", () => {
  const primary = generateAccessKey();
  const secondary = generateAccessKey();
  const children: ChildServer[] = [];
  const sockets: SignalingTestClient[] = [];

  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await Promise.all(children.map((c) => c.stop()));
  });

  it("the restarted server closes the record (serverFailure) once the dead life's heartbeat is stale", async () => {
    const first = await startChildServer({ primaryKey: primary, secondaryKey: secondary, env: WATCH_ENV });
    children.push(first);
    const ids = identityClient(first.httpUrl, primary);
    const caller = (await ids.createWithToken(["voip"])).body;
    const callee = (await ids.createWithToken(["voip"])).body;
    const s1 = openSocket(first);
    const s2 = openSocket(first);
    sockets.push(s1, s2);
    await s1.authenticate(caller.accessToken.token);
    await s2.authenticate(callee.accessToken.token);
    s1.send({ type: "startCall", callees: [callee.identity.id], requestId: "start" });
    const { callId } = await s1.next("callStarted");
    await s2.next("incomingCall", (m) => m.callId === callId);
    s2.send({ type: "accept", callId, requestId: "acc" });
    await s1.next("participantJoined", (m) => m.identity === callee.identity.id);
    const calls = async () => (await signedFetch(`${first.httpUrl}/calling/calls/${callId}`, { accessKey: primary })).body;
    await waitFor(async () => (await calls()).answeredAt !== null || undefined, "the answered call saved");

    first.proc.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");

    const second = await startChildServer({ dataDir: first.dataDir, primaryKey: primary, secondaryKey: secondary, env: WATCH_ENV });
    children.push(second);
    const closed = await waitFor(async () => {
      const record = (await signedFetch(`${second.httpUrl}/calling/calls/${callId}`, { accessKey: primary })).body;
      return record.endedAt !== null && record;
    }, "the record closed after the restart", 15_000);
    expect(closed).toMatchObject({ endReason: "serverFailure" });
    expect(closed.participants.map((p: { leaveReason: string }) => p.leaveReason)).toEqual(["callEnded", "callEnded"]);
  }, 120_000);
});
