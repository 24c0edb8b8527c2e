import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCore, type Core } from "../../src/app.js";
import { loadConfig } from "../../src/config/config.js";
import { generateAccessKey } from "../../src/util/crypto.js";
import { backendNames, freshPostgresUrl } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import { API, identityClient, runCli, startChildServer, timeUntil, type ChildServer } from "./child-server.js";

/**
 * Two server processes (the real CLI) on one PostgreSQL schema: what one replica (or an operator) changes, the other
 * enforces within one second, through LISTEN/NOTIFY.
 */
describe.each(backendNames.filter((b) => b === "postgres"))("two replicas on one %s database", () => {
  const primary = generateAccessKey();
  const secondary = generateAccessKey();
  let databaseUrl: string;
  let a: ChildServer;
  let b: ChildServer;
  let admin: Core;

  beforeAll(async () => {
    databaseUrl = await freshPostgresUrl();
    // Both start at once on the empty schema.
    [a, b] = await Promise.all([
      startChildServer({ databaseUrl, primaryKey: primary, secondaryKey: secondary }),
      startChildServer({ databaseUrl, primaryKey: primary, secondaryKey: secondary }),
    ]);
    // An operator's process on the same database (what `switchboard keys regenerate` does, timed precisely).
    admin = await openCore(loadConfig({ overrides: { databaseUrl, log: { level: "silent" } } }));
  }, 120_000);

  afterAll(async () => {
    await admin?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("started on an empty schema at once: one default resource, one active signing key, the same JWKS", async () => {
    const resources = await admin.store.db.selectFrom("resources").select("name").execute();
    expect(resources).toEqual([{ name: "dev" }]);
    const active = await admin.store.db.selectFrom("signing_keys").select("kid").where("retired_at", "is", null).execute();
    expect(active).toHaveLength(1);
    const [ja, jb] = await Promise.all([fetch(`${a.httpUrl}/.well-known/jwks.json`), fetch(`${b.httpUrl}/.well-known/jwks.json`)]);
    expect(await ja.json()).toEqual(await jb.json());
  });

  it("a revocation on A is enforced by B within one second", async () => {
    const onA = identityClient(a.httpUrl, primary);
    const onB = identityClient(b.httpUrl, secondary);
    const created = await onA.createWithToken();
    expect(created.status).toBe(201);
    const { identity, accessToken } = created.body;
    const before = await onB.introspect(accessToken.token);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ active: true, identity: identity.id });

    const sent = performance.now();
    const revoked = await onA.revoke(identity.id);
    expect(revoked.status).toBe(204);
    const acked = performance.now();
    const delay = await timeUntil(async () => (await onB.introspect(accessToken.token)).body.active === false, 1_000, sent);
    console.log(
      `[scale] revoke on A → token refused by B: ${delay?.toFixed(1)} ms after the request was sent (${(acked - sent).toFixed(1)} ms until A acknowledged)`,
    );
    expect(delay).toBeDefined();
    expect(delay!).toBeLessThanOrEqual(1_000);
    const after = await onB.introspect(accessToken.token);
    expect(after.body).toEqual({ active: false });
  });

  it("a deletion on A is enforced by B within one second", async () => {
    const onA = identityClient(a.httpUrl, primary);
    const onB = identityClient(b.httpUrl, primary);
    const created = await onA.createWithToken(["voip"]);
    expect((await onB.introspect(created.body.accessToken.token)).body.active).toBe(true);
    const sent = performance.now();
    expect((await onA.remove(created.body.identity.id)).status).toBe(204);
    const delay = await timeUntil(async () => (await onB.introspect(created.body.accessToken.token)).body.active === false, 1_000, sent);
    console.log(`[scale] delete on A → token refused by B: ${delay?.toFixed(1)} ms`);
    expect(delay).toBeDefined();
    expect((await onB.issueToken(created.body.identity.id)).status).toBe(404);
  });

  it("a key regeneration is enforced by both replicas within one second: old key and tokens it issued refused", async () => {
    const viaPrimaryOnA = identityClient(a.httpUrl, primary);
    const created = await viaPrimaryOnA.createWithToken();
    expect(created.status).toBe(201);
    const token = created.body.accessToken.token;
    for (const replica of [a, b]) expect((await identityClient(replica.httpUrl, secondary).introspect(token)).body.active).toBe(true);

    const start = performance.now();
    await admin.resources.regenerateKey(admin.defaultResource.id, "primary");
    const committed = performance.now();
    const oldKeyRefused = await timeUntil(async () => (await identityClient(b.httpUrl, primary).introspect(token)).status === 401, 1_000, committed);
    const tokenRefused = await timeUntil(
      async () => (await identityClient(b.httpUrl, secondary).introspect(token)).body.active === false,
      1_000,
      committed,
    );
    console.log(
      `[scale] primary key regenerated (commit took ${(committed - start).toFixed(1)} ms) → B refuses the old key after ${oldKeyRefused?.toFixed(1)} ms, its tokens after ${tokenRefused?.toFixed(1)} ms`,
    );
    expect(oldKeyRefused).toBeDefined();
    expect(tokenRefused).toBeDefined();
    // Replica A learns of the commit through its own notification, which may arrive a moment after B's: it is held to
    // the same second.
    let refused: Awaited<ReturnType<typeof viaPrimaryOnA.createWithToken>> | undefined;
    const refusedOnA = await timeUntil(async () => (refused = await viaPrimaryOnA.createWithToken()).status === 401, 1_000, committed);
    expect(refusedOnA).toBeDefined();
    expect(refused!.body.error.code).toBe("InvalidSignature");
    expect((await identityClient(a.httpUrl, secondary).introspect(token)).body).toEqual({ active: false });
  });

  it("`switchboard keys regenerate --database-url` acts on the running cluster", async () => {
    const current = (await admin.resources.list())[0]!;
    const before = await identityClient(b.httpUrl, current.keys.secondary.value).introspect("x.y.z");
    expect(before.status).toBe(200);
    const out = await runCli(["keys", "regenerate", "--secondary", "--json", "--database-url", databaseUrl]);
    const printed = JSON.parse(out) as { key: string; value: string };
    expect(printed.key).toBe("secondary");
    expect(printed.value).not.toBe(current.keys.secondary.value);
    const exitedAt = performance.now();
    const delay = await timeUntil(
      async () => (await identityClient(b.httpUrl, current.keys.secondary.value).introspect("x.y.z")).status === 401,
      1_000,
      exitedAt,
    );
    console.log(`[scale] CLI regenerated the secondary key → B refuses the old one ${delay?.toFixed(1)} ms after the CLI exited`);
    expect(delay).toBeDefined();
    const withNew = await signedFetch(`${a.httpUrl}/tokens/:introspect?${API}`, { method: "POST", body: { token: "x.y.z" }, accessKey: printed.value });
    expect(withNew.status).toBe(200);
  });

  it("a signing-key rotation reaches B's JWKS within one second, and B accepts tokens signed with the new key", async () => {
    const before = (await (await fetch(`${b.httpUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    const start = performance.now();
    const kid = await admin.keyRing.rotate();
    const delay = await timeUntil(
      async () => ((await (await fetch(`${b.httpUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.some((k) => k.kid === kid),
      1_000,
      start,
    );
    console.log(`[scale] signing key rotated → published by B after ${delay?.toFixed(1)} ms`);
    expect(delay).toBeDefined();
    const jwks = (await (await fetch(`${b.httpUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([...before.keys.map((k) => k.kid), kid].sort());
    // A signs with the new key once it has seen the rotation too; B verifies it.
    const current = (await admin.resources.list())[0]!;
    const onA = identityClient(a.httpUrl, current.keys.primary.value);
    const waited = await timeUntil(async () => {
      const created = await onA.createWithToken();
      const header = JSON.parse(Buffer.from(created.body.accessToken.token.split(".")[0], "base64url").toString()) as { kid: string };
      if (header.kid !== kid) return false;
      const checked = await identityClient(b.httpUrl, current.keys.primary.value).introspect(created.body.accessToken.token);
      return checked.body.active === true;
    }, 1_000);
    expect(waited).toBeDefined();
  });
});
