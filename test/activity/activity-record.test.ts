import { CommunicationIdentityClient } from "@azure/communication-identity";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActivityEvent } from "../../src/activity/activity-event.js";
import { listActivity, purgeActivity, summarizeIdentity } from "../../src/cli/activity-command.js";
import { permissionFor } from "../../src/rbac/permissions.js";
import { createFixedClock } from "../../src/util/clock.js";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const run = promisify(execFile);
const CLI = path.resolve("dist/cli/main.js");

/**
 * A known sequence of Identity operations for two identities, then the activity record read back through the API,
 * the CLI (built binary) and the command functions.
 */
describe.each(backendNames)("activity record per identity (%s)", (backend) => {
  let srv: TestServer;
  const clock = createFixedClock(Math.floor(Date.now() / 1000) * 1000);
  const times: Record<string, number> = {};
  let a: string;
  let b: string;

  const key = () => srv.currentResource().keys.primary.value;
  const getActivity = (query: string, accessKey = key()) => signedFetch(`${srv.httpUrl}/activity?${query}`, { accessKey });
  const step = (name: string) => {
    clock.advance(1_000);
    times[name] = clock.now();
  };
  const cliArgs = () => [
    ...(srv.server.core.config.databaseUrl !== undefined ? ["--database-url", srv.server.core.config.databaseUrl] : ["--data-dir", srv.dataDir]),
  ];

  beforeAll(async () => {
    srv = await startTestServer({ backend, clock });
    const client = new CommunicationIdentityClient(srv.connectionString("http"), { allowInsecureConnection: true });
    step("createA");
    a = (await client.createUserAndToken(["chat"])).user.communicationUserId;
    step("createB");
    const userB = await client.createUser();
    b = userB.communicationUserId;
    step("issueA");
    await client.getToken({ communicationUserId: a }, ["voip"]);
    step("issueB");
    await client.getToken(userB, ["chat", "voip"]);
    step("revokeA");
    await client.revokeTokens({ communicationUserId: a });
    step("wrongKey");
    // Refused before the handler: no identity is named, so it is in nobody's record.
    const refused = await signedFetch(`${srv.httpUrl}/identities/${encodeURIComponent(a)}/:revokeAccessTokens?api-version=2023-10-01`, {
      method: "POST",
      accessKey: Buffer.alloc(32, 7).toString("base64"),
    });
    expect(refused.status).toBe(401);
    step("deleteB");
    await client.deleteUser(userB);
    step("issueDeletedB");
    await expect(client.getToken(userB, ["chat"])).rejects.toMatchObject({ statusCode: 404 });
    await srv.server.core.activity.flush();
  });
  afterAll(async () => {
    await srv.close();
  });

  it("gives each identity exactly its own events, newest first", async () => {
    const resA = await getActivity(`identity=${encodeURIComponent(a)}&api-version=2025-06-30`);
    expect(resA.status).toBe(200);
    expect(resA.body.nextLink).toBeUndefined();
    const eventsA: ActivityEvent[] = resA.body.value;
    expect(eventsA.map((e) => [e.operation, e.status, e.time])).toEqual([
      ["identity.revokeAccessTokens", 204, new Date(times.revokeA!).toISOString()],
      ["identity.issueAccessToken", 200, new Date(times.issueA!).toISOString()],
      ["identity.create", 201, new Date(times.createA!).toISOString()],
    ]);
    for (const e of eventsA) {
      expect(e.subjects).toEqual([a]);
      expect(e.principal).toBe("key:primary");
      expect(e.resourceId).toBe(srv.resource.id);
      expect(e.outcome).toBe("succeeded");
      expect(e.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(e.id).toBe(e.requestId);
    }
    expect(eventsA[1]!.fields).toEqual({ scopes: ["voip"], expiresOn: expect.any(String) });
    expect(eventsA[2]!.fields).toEqual({ scopes: ["chat"], expiresOn: expect.any(String) });
    expect(eventsA[0]!.fields).toBeUndefined();

    const resB = await getActivity(`identity=${encodeURIComponent(b)}&api-version=2025-06-30`);
    const eventsB: ActivityEvent[] = resB.body.value;
    expect(eventsB.map((e) => [e.operation, e.status, e.errorCode, e.outcome])).toEqual([
      ["identity.issueAccessToken", 404, "IdentityNotFound", "failed"],
      ["identity.delete", 204, undefined, "succeeded"],
      ["identity.issueAccessToken", 200, undefined, "succeeded"],
      ["identity.create", 201, undefined, "succeeded"],
    ]);
    expect(eventsB.every((e) => e.subjects.length === 1 && e.subjects[0] === b)).toBe(true);
    expect(eventsB[2]!.fields).toEqual({ scopes: ["chat", "voip"], expiresOn: expect.any(String) });
    expect(eventsB[3]!.fields).toBeUndefined();
    // No token, key or signature anywhere in the record.
    expect(JSON.stringify([eventsA, eventsB])).not.toMatch(/eyJ|HMAC|Signature|token"/);
  });

  it("keeps a deleted identity's activity", async () => {
    const eventsB = await listActivity(srv.server.core, { identity: b });
    expect(eventsB.map((e) => e.operation)).toContain("identity.delete");
    expect(eventsB).toHaveLength(4);
  });

  it("pages with nextLink (api-version kept) and filters by time and operation", async () => {
    const first = await getActivity(`identity=${encodeURIComponent(b)}&maxPageSize=3&api-version=2025-06-30`);
    expect(first.status).toBe(200);
    expect(first.body.value).toHaveLength(3);
    const next = new URL(first.body.nextLink);
    expect(next.origin).toBe(srv.httpUrl);
    expect(next.searchParams.get("api-version")).toBe("2025-06-30");
    expect(next.searchParams.get("maxPageSize")).toBe("3");
    const second = await signedFetch(first.body.nextLink, { accessKey: key() });
    expect(second.status).toBe(200);
    expect(second.body.nextLink).toBeUndefined();
    expect(second.body.value.map((e: ActivityEvent) => e.operation)).toEqual(["identity.create"]);

    const from = new Date(times.issueB!).toISOString();
    const to = new Date(times.issueDeletedB!).toISOString();
    const window = await getActivity(`identity=${encodeURIComponent(b)}&from=${from}&to=${to}&api-version=1`);
    expect(window.body.value.map((e: ActivityEvent) => e.time)).toEqual([new Date(times.deleteB!).toISOString(), from]);

    const issues = await getActivity(`identity=${encodeURIComponent(b)}&operation=identity.issueAccessToken&api-version=1`);
    expect(issues.body.value.map((e: ActivityEvent) => e.status)).toEqual([404, 200]);
    const all = await getActivity(`identity=${encodeURIComponent(b)}&operation=identity.*&api-version=1`);
    expect(all.body.value).toHaveLength(4);
    const none = await getActivity(`identity=${encodeURIComponent(b)}&operation=chat.*&api-version=1`);
    expect(none.body.value).toEqual([]);
  });

  it("refuses bad query parameters with 400 in the ACS error shape", async () => {
    for (const query of [
      "api-version=1",
      `identity=${encodeURIComponent(b)}&from=yesterday&api-version=1`,
      `identity=${encodeURIComponent(b)}&operation=identity.issue*&api-version=1`,
      `identity=${encodeURIComponent(b)}&maxPageSize=0&api-version=1`,
      `identity=${encodeURIComponent(b)}&maxPageSize=1001&api-version=1`,
      `identity=${encodeURIComponent(b)}&continuationToken=bm9wZQ&api-version=1`,
    ]) {
      const res = await getActivity(query);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code, query).toBe("InvalidQueryParameter");
    }
    const noVersion = await getActivity(`identity=${encodeURIComponent(b)}`);
    expect(noVersion.body.error.code).toBe("MissingApiVersion");
  });

  it("lets an access key read and refuses a wrong key; the permission row is activity/read", async () => {
    const wrong = await getActivity(`identity=${encodeURIComponent(a)}&api-version=1`, Buffer.alloc(32, 9).toString("base64"));
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("InvalidSignature");
    const secondary = await getActivity(`identity=${encodeURIComponent(a)}&api-version=1`, srv.currentResource().keys.secondary.value);
    expect(secondary.status).toBe(200);
    expect(permissionFor("activity.read")).toBe("Microsoft.Communication/CommunicationServices/activity/read");
  });

  it("puts principal and subjects on the request log line, never a token", async () => {
    const lines = srv
      .readLog()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const revoke = lines.find((l) => l.op === "identity.revokeAccessTokens" && l.status === 204);
    expect(revoke).toMatchObject({ principal: "key:primary", auth: "access-key", subjects: [a], resource: srv.resource.id });
    // The log line and the activity event share the request id.
    const [revokeEvent] = await listActivity(srv.server.core, { identity: a, operation: "identity.revokeAccessTokens" });
    expect(revokeEvent!.id).toBe(revoke.reqId);
    const refused = lines.find((l) => l.op === "identity.revokeAccessTokens" && l.status === 401);
    expect(refused).toMatchObject({ code: "InvalidSignature" });
    expect(refused.principal).toBeUndefined();
    expect(srv.readLog()).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });

  it("the command functions: list with --since/--operation, summary", async () => {
    // --since is relative to the core's clock (the test's fixed clock).
    const recent = await listActivity(srv.server.core, { identity: b, since: "3s" });
    expect(recent.map((e) => e.operation)).toEqual(["identity.issueAccessToken", "identity.delete"]);
    const issues = await listActivity(srv.server.core, { identity: a, operation: "identity.issueAccessToken" });
    expect(issues).toHaveLength(1);
    const until = await listActivity(srv.server.core, { identity: b, until: new Date(times.deleteB!).toISOString() });
    expect(until.map((e) => e.operation)).toEqual(["identity.issueAccessToken", "identity.create"]);
    expect(await summarizeIdentity(srv.server.core, a)).toMatchObject({
      identity: a,
      events: 3,
      tokensIssued: 2,
      lastTokenIssuedAt: new Date(times.issueA!).toISOString(),
      revocations: 1,
      threadsJoined: 0,
      messagesSent: 0,
      calls: 0,
      smsSent: 0,
      emailsSent: 0,
      authFailures: 0,
    });
    expect(await summarizeIdentity(srv.server.core, b)).toMatchObject({ events: 4, tokensIssued: 1, revocations: 0 });
  });

  it("the built CLI lists the same events as JSON, filtered by time and operation", async () => {
    expect(existsSync(CLI), "run npm run build first").toBe(true);
    const { stdout } = await run(process.execPath, [CLI, "activity", "--identity", b, "--json", ...cliArgs()]);
    const viaApi = (await getActivity(`identity=${encodeURIComponent(b)}&api-version=1`)).body.value;
    expect(JSON.parse(stdout)).toEqual(viaApi);

    const since = new Date(times.deleteB!).toISOString();
    const window = await run(process.execPath, [CLI, "activity", "--identity", b, "--since", since, "--operation", "identity.*", "--json", ...cliArgs()]);
    expect(JSON.parse(window.stdout).map((e: ActivityEvent) => e.operation)).toEqual(["identity.issueAccessToken", "identity.delete"]);

    const summary = await run(process.execPath, [CLI, "activity", "summary", "--identity", a, "--json", ...cliArgs()]);
    expect(JSON.parse(summary.stdout)).toMatchObject({ identity: a, events: 3, tokensIssued: 2, revocations: 1, authFailures: 0 });
  }, 90_000);

  it("purge removes exactly one identity's events (CLI), and nothing of the other's", async () => {
    const before = await listActivity(srv.server.core, { identity: b });
    const { stdout } = await run(process.execPath, [CLI, "activity", "purge", "--identity", a, "--json", ...cliArgs()]);
    expect(JSON.parse(stdout)).toEqual({ identity: a, removed: 3 });
    expect((await getActivity(`identity=${encodeURIComponent(a)}&api-version=1`)).body.value).toEqual([]);
    expect(await listActivity(srv.server.core, { identity: b })).toEqual(before);
    expect(await purgeActivity(srv.server.core, a)).toBe(0);
  }, 60_000);
});
