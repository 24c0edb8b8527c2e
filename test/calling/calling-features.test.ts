import { createHmac } from "node:crypto";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { CallEvent } from "../../src/calling/call-coordinator.js";
import { registerCallsCommand } from "../../src/cli/calls-command.js";
import { ConfigError, loadConfig } from "../../src/config/config.js";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { eventually, identityWithToken, openSignaling, type SignalingTestClient } from "../support/signaling-client.js";

const TURN_SECRET = "a-turn-shared-secret-of-some-length";

describe.each(backendNames)("calling: ICE servers, group limits, late join, event hook, CLI (%s)", (backend) => {
  let srv: TestServer;
  const events: CallEvent[] = [];
  const sockets: SignalingTestClient[] = [];

  async function connected(scopes: Array<"voip" | "voip.join"> = ["voip"]) {
    const who = await identityWithToken(srv, scopes);
    const socket = openSignaling(srv);
    sockets.push(socket);
    await socket.authenticate(who.token);
    return { ...who, socket };
  }

  beforeAll(async () => {
    srv = await startTestServer({
      backend,
      config: {
        calling: {
          stunUrls: ["stun:stun.example.org:3478"],
          turn: { urls: ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"], secret: TURN_SECRET, ttlSeconds: 600 },
          maxParticipants: 3,
        },
      },
    });
    srv.server.calling.onCallEvent((e) => events.push(e));
  });
  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await srv.close();
  });

  it("hands out the configured STUN server and a per-call TURN REST credential", async () => {
    const a = await connected();
    const b = await connected();
    const before = Math.floor(Date.now() / 1000);
    a.socket.send({ type: "startCall", callees: [b.id] });
    const started = await a.socket.next("callStarted");
    const [stun, turn] = started.iceServers;
    expect(stun).toEqual({ urls: ["stun:stun.example.org:3478"] });
    expect(turn.urls).toEqual(["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]);
    const [expiry, label] = turn.username.split(":");
    expect(label).toBe(started.callId);
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
    expect(Number(expiry)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 600);
    expect(turn.credential).toBe(createHmac("sha1", TURN_SECRET).update(turn.username).digest("base64"));

    b.socket.send({ type: "accept", callId: started.callId });
    const joined = await b.socket.next("joined");
    expect(joined.iceServers[1].username.split(":")[1]).toBe(started.callId);
    expect(srv.readLog()).not.toContain(turn.credential);
  });

  it("limits a call to maxParticipants and lets a voip identity join a running call by id (late join)", async () => {
    const [a, b, c, d] = [await connected(), await connected(), await connected(), await connected()];
    a.socket.send({ type: "startCall", callees: [b.id, c.id, d.id], requestId: "big" });
    expect(await a.socket.next("error", (m) => m.requestId === "big")).toMatchObject({ code: "CallFull" });

    a.socket.send({ type: "startCall", callees: [b.id] });
    const { callId } = await a.socket.next("callStarted");
    b.socket.send({ type: "accept", callId });
    await b.socket.next("joined");
    c.socket.send({ type: "join", callId, requestId: "late" });
    const joined = await c.socket.next("joined", (m) => m.requestId === "late");
    expect(joined.participants.map((p: { identity: string }) => p.identity).sort()).toEqual([a.id, b.id].sort());
    await a.socket.next("participantJoined", (m) => m.identity === c.id);
    await b.socket.next("participantJoined", (m) => m.identity === c.id);
    d.socket.send({ type: "join", callId, requestId: "full" });
    expect(await d.socket.next("error", (m) => m.requestId === "full")).toMatchObject({ code: "CallFull" });
    a.socket.send({ type: "invite", callId, callees: [d.id], requestId: "inv" });
    expect(await a.socket.next("error", (m) => m.requestId === "inv")).toMatchObject({ code: "CallFull" });

    c.socket.send({ type: "hangUp", callId });
    expect(await a.socket.next("participantLeft", (m) => m.identity === c.id)).toMatchObject({ reason: "hangUp" });
    a.socket.send({ type: "hangUp", callId });
    expect(await b.socket.next("callEnded", (m) => m.callId === callId)).toMatchObject({ reason: "hangUp" });
    const record = await eventually(async () => {
      const r = await srv.server.calling.repository.get(callId);
      return r?.endedAt != null ? r : undefined;
    });
    expect(record.participants.map((p) => [p.identity, p.role])).toEqual([
      [a.id, "caller"],
      [b.id, "invitee"],
      [c.id, "joiner"],
    ]);

    const forCall = events.filter((e) => e.callId === callId);
    expect(forCall.map((e) => [e.type, e.identity])).toEqual([
      ["callStarted", a.id],
      ["joined", a.id],
      ["invited", b.id],
      ["joined", b.id],
      ["joined", c.id],
      ["left", c.id],
      ["left", a.id],
      ["left", b.id],
      ["callEnded", a.id],
      ["callEnded", b.id],
      ["callEnded", c.id],
    ]);
    const left = forCall.find((e) => e.type === "left" && e.identity === c.id)!;
    expect(left).toMatchObject({ reason: "hangUp", resourceId: srv.resource.id });
    expect(left.durationMs).toBeGreaterThanOrEqual(0);
    expect(forCall.find((e) => e.type === "callEnded")).toMatchObject({ reason: "hangUp", durationMs: record.durationMs });
  });

  it("lists an identity's calls with `switchboard calls list`", async () => {
    const a = await connected();
    const b = await connected();
    a.socket.send({ type: "startCall", callees: [b.id], video: true });
    const { callId } = await a.socket.next("callStarted");
    b.socket.send({ type: "accept", callId });
    await a.socket.next("participantJoined");
    a.socket.send({ type: "hangUp", callId });
    await b.socket.next("callEnded");
    await eventually(async () => ((await srv.server.calling.repository.get(callId))?.endedAt != null ? true : undefined));

    const run = async (...args: string[]): Promise<string> => {
      const program = new Command().exitOverride();
      registerCallsCommand(program);
      const store = srv.server.core.config.databaseUrl !== undefined ? ["--database-url", srv.server.core.config.databaseUrl] : ["--data-dir", srv.dataDir];
      let out = "";
      const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
        out += chunk.toString();
        return true;
      });
      try {
        await program.parseAsync(["node", "switchboard", "calls", "list", ...store, ...args]);
      } finally {
        spy.mockRestore();
      }
      return out;
    };

    const listed = JSON.parse(await run("--identity", b.id, "--json"));
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: callId, caller: a.id, video: true, endReason: "hangUp" });
    expect(listed[0].participants.map((p: { identity: string; durationMs: number }) => [p.identity, typeof p.durationMs])).toEqual([
      [a.id, "number"],
      [b.id, "number"],
    ]);
    const text = await run("--identity", a.id);
    expect(text).toContain(callId);
    expect(text).toMatch(/caller\s+joined/);
    await expect(run("--identity", "not-an-id")).rejects.toThrow("is not a communication identity id");
  });
});

describe("calling configuration", () => {
  it("rejects bad ICE server settings at start-up, listing every problem", () => {
    let error: unknown;
    try {
      loadConfig({ overrides: { calling: { stunUrls: ["http://x"], turn: { urls: ["stun:x"], secret: "short" }, maxParticipants: 9 } } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        "calling.stunUrls.0: must start with stun: or stuns:",
        "calling.turn.urls.0: must start with turn: or turns:",
        "calling.turn.secret: must be at least 16 characters",
      ]),
    );
    expect(problems.some((p) => p.startsWith("calling.maxParticipants"))).toBe(true);
  });

  it("reads STUN and TURN settings from the environment", () => {
    const config = loadConfig({
      env: { SWITCHBOARD_STUN_URLS: "stun:a:3478, stun:b:3478", SWITCHBOARD_TURN_URLS: "turn:t:3478", SWITCHBOARD_TURN_SECRET: TURN_SECRET },
    });
    expect(config.calling.stunUrls).toEqual(["stun:a:3478", "stun:b:3478"]);
    expect(config.calling.turn).toEqual({ urls: ["turn:t:3478"], secret: TURN_SECRET, ttlSeconds: 3600 });
    expect(config.calling.maxParticipants).toBe(8);
  });
});
