import { afterAll, describe, expect, it } from "vitest";
import { openCore } from "../../src/app.js";
import { loadConfig } from "../../src/config/config.js";
import { generateAccessKey } from "../../src/util/crypto.js";
import { backendNames, freshPostgresUrl } from "../support/backends.js";
import { identityClient, startChildServer, timeUntil, type ChildServer } from "./child-server.js";
import { TcpProxy } from "./tcp-proxy.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A PostgreSQL outage under load, through a proxy the test cuts: requests that need the database answer 503
 * ServiceUnavailable with Retry-After, requests served from verified caches keep working, readiness turns false,
 * the process survives, and service resumes by itself within 15 s of the database coming back.
 */
describe.each(backendNames.filter((b) => b === "postgres"))("database outage on %s", () => {
  let proxy: TcpProxy;
  let server: ChildServer;
  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
  });

  it("degrades to 503 while the database is away and recovers by itself", async () => {
    const primaryKey = generateAccessKey();
    const direct = new URL(await freshPostgresUrl());
    proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(direct);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(proxy.port);
    server = await startChildServer({ databaseUrl: viaProxy.toString(), primaryKey, secondaryKey: generateAccessKey() });
    const api = identityClient(server.httpUrl, primaryKey);

    // Tokens whose identity state this replica has verified (and cached), and one it has never checked.
    const cached: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await api.createWithToken();
      expect(created.status).toBe(201);
      expect((await api.introspect(created.body.accessToken.token)).body.active).toBe(true);
      cached.push(created.body.accessToken.token);
    }
    const unchecked = await api.createWithToken();
    // Revoked behind the server's back while it cannot see the database: it must learn about it after recovery.
    const missed = await api.createWithToken();
    expect((await api.introspect(missed.body.accessToken.token)).body.active).toBe(true);
    expect((await fetch(`${server.httpUrl}/health/ready`)).status).toBe(200);

    // Load: writes, cached token checks and JWKS, until told to stop.
    const statuses = new Map<string, number>();
    const errors: string[] = [];
    let loading = true;
    const count = (key: string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);
    const loadWorker = async (): Promise<void> => {
      for (let i = 0; loading; i++) {
        try {
          const create = await api.createWithToken();
          count(`create ${create.status}`);
          const check = await api.introspect(cached[i % cached.length]!);
          count(`cached-introspect ${check.status} ${check.body?.active}`);
          const jwks = await fetch(`${server.httpUrl}/.well-known/jwks.json`);
          await jwks.arrayBuffer();
          count(`jwks ${jwks.status}`);
        } catch (err) {
          errors.push((err as Error).message);
        }
        await sleep(5);
      }
    };
    const load = Promise.all([loadWorker(), loadWorker(), loadWorker()]);
    await sleep(300);

    await proxy.cut();
    const cutAt = performance.now();

    const refused = await api.createWithToken();
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe("ServiceUnavailable");
    expect(refused.headers.get("x-ms-error-code")).toBe("ServiceUnavailable");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    // A check that needs the database (state never cached) is a 503 too, never a wrong "inactive".
    const needsDb = await api.introspect(unchecked.body.accessToken.token);
    expect(needsDb.status).toBe(503);
    expect((await api.issueToken(unchecked.body.identity.id)).status).toBe(503);
    // Served from verified caches.
    for (const token of cached) expect((await api.introspect(token)).body).toMatchObject({ active: true });
    expect((await fetch(`${server.httpUrl}/.well-known/jwks.json`)).status).toBe(200);
    expect((await fetch(`${server.httpUrl}/health/live`)).status).toBe(200);
    const notReadyAfter = await timeUntil(async () => (await fetch(`${server.httpUrl}/health/ready`)).status === 503, 5_000, cutAt);
    expect(notReadyAfter).toBeDefined();
    const ready = await fetch(`${server.httpUrl}/health/ready`);
    expect(await ready.json()).toMatchObject({ status: "unavailable" });

    // An operator revokes through a direct connection meanwhile (the database itself is fine; only this replica's
    // link to it is cut).
    const operator = await openCore(loadConfig({ overrides: { databaseUrl: direct.toString(), log: { level: "silent" } } }));
    try {
      await operator.identities.revokeTokens(operator.registry.get(operator.defaultResource.id)!, missed.body.identity.id);
    } finally {
      await operator.close();
    }
    await sleep(2_500);
    expect(server.alive()).toBe(true);

    await proxy.restore();
    const restoredAt = performance.now();
    const writesBack = await timeUntil(async () => (await api.createWithToken()).status === 201, 15_000, restoredAt);
    const readyBack = await timeUntil(async () => (await fetch(`${server.httpUrl}/health/ready`)).status === 200, 15_000, restoredAt);
    const missedRefused = await timeUntil(async () => (await api.introspect(missed.body.accessToken.token)).body?.active === false, 15_000, restoredAt);
    loading = false;
    await load;
    console.log(
      `[outage] down ${(restoredAt - cutAt).toFixed(0)} ms; not ready after ${notReadyAfter?.toFixed(0)} ms; writes back ${writesBack?.toFixed(0)} ms and ready ${readyBack?.toFixed(0)} ms after the database returned; load: ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(writesBack).toBeDefined();
    expect(readyBack).toBeDefined();
    expect(writesBack!).toBeLessThan(15_000);
    // The revocation committed during the outage reached the replica's cache after it (the feed caught up).
    console.log(`[outage] revocation made during the outage enforced ${missedRefused?.toFixed(0)} ms after the database returned`);
    expect(missedRefused).toBeDefined();

    // Under load: only successes and 503s, cached checks never failed, and no request lost its connection.
    expect(errors).toEqual([]);
    for (const key of statuses.keys()) expect(key).toMatch(/^(create (201|503)|cached-introspect 200 true|jwks 200)$/);
    expect(statuses.get("create 503")).toBeGreaterThan(0);
    expect(server.alive()).toBe(true);
    expect(server.output()).not.toMatch(/unhandled|uncaught/i);

    // The change feed is live again: a revocation made now is enforced.
    const fresh = await api.createWithToken();
    expect((await api.revoke(fresh.body.identity.id)).status).toBe(204);
    expect((await api.introspect(fresh.body.accessToken.token)).body).toEqual({ active: false });
    expect((await api.introspect(unchecked.body.accessToken.token)).body.active).toBe(true);
  }, 120_000);
});
