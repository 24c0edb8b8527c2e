import { afterEach, describe, expect, it } from "vitest";
import { openCore, type Core } from "../../src/app.js";
import { SigningKeyRing } from "../../src/keys/signing-key-ring.js";
import { ChangeFeed } from "../../src/store/change-feed.js";
import { createFixedClock as fixedClock } from "../../src/util/clock.js";
import { backendNames } from "../support/backends.js";
import { createTestDatabase, eventually, type TestDatabase } from "./store-fixture.js";

let tdb: TestDatabase;
const cores: Core[] = [];
afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()));
  await tdb.closeAll();
});

describe.each(backendNames)("signing keys and first start on %s", (backend) => {
  it("ensureKey creates one key; rotate retires it and both stay published", async () => {
    tdb = await createTestDatabase(backend, {}, { empty: true });
    const store = await tdb.open();
    const clock = fixedClock(1_000_000);
    const ring = new SigningKeyRing(store, clock);
    await ring.ensureKey();
    const first = ring.activeKid;
    await ring.ensureKey();
    expect(ring.activeKid).toBe(first);
    clock.advance(1_000);
    const second = await ring.rotate();
    expect(second).not.toBe(first);
    expect(ring.activeKid).toBe(second);
    expect(ring.jwks().keys.map((k) => k.kid).sort()).toEqual([first, second].sort());
    expect(ring.verificationKey(first)).toBeDefined();
    const rows = await store.db.selectFrom("signing_keys").select(["kid", "retired_at"]).orderBy("created_at").execute();
    expect(rows).toEqual([
      { kid: first, retired_at: 1_001_000 },
      { kid: second, retired_at: null },
    ]);
    // A retired key stops verifying once its last token (24 h) has expired.
    clock.advance(24 * 60 * 60_000 + 1);
    expect(ring.verificationKey(first)).toBeUndefined();
    expect(ring.jwks().keys.map((k) => k.kid)).toEqual([second]);
  });

  it("allows only one active signing key, even written directly", async () => {
    tdb = await createTestDatabase(backend, {}, { empty: true });
    const store = await tdb.open();
    const ring = new SigningKeyRing(store, fixedClock(5));
    await ring.ensureKey();
    const row = await store.db.selectFrom("signing_keys").selectAll().executeTakeFirstOrThrow();
    await expect(store.write((trx) => trx.insertInto("signing_keys").values({ ...row, kid: "second-active" }).execute())).rejects.toThrow();
    expect(await store.db.selectFrom("signing_keys").select("kid").execute()).toEqual([{ kid: row.kid }]);
  });

  it("a rotation in one process reaches another process's key ring through the change feed", async () => {
    tdb = await createTestDatabase(backend, {}, { empty: true });
    const [a, b] = [await tdb.open(), await tdb.open()];
    const ringA = new SigningKeyRing(a, fixedClock(10));
    const ringB = new SigningKeyRing(b, fixedClock(10));
    await ringA.ensureKey();
    await ringB.ensureKey();
    const feedB = new ChangeFeed(b, { pollMs: 50, now: () => Date.now() });
    ringB.watch(feedB);
    await feedB.start();
    try {
      const kid = await ringA.rotate();
      expect(await eventually(() => ringB.activeKid === kid)).toBe(true);
    } finally {
      feedB.stop();
    }
  });

});

/**
 * Racing first starts. PostgreSQL only: several SQLite connections inside one process cannot race (better-sqlite3
 * waits for the file lock synchronously, blocking the very event loop that would release it); separate processes
 * on one SQLite file queue behind BEGIN IMMEDIATE instead.
 */
describe.each(backendNames.filter((b) => b === "postgres"))("racing first starts on %s", (backend) => {
  it("several key rings racing on an empty database end with exactly one active key", async () => {
    tdb = await createTestDatabase(backend, {}, { empty: true });
    const stores = await Promise.all([tdb.open(), tdb.open(), tdb.open()]);
    const rings = stores.map((s) => new SigningKeyRing(s, fixedClock(7)));
    await Promise.all(rings.map((r) => r.ensureKey()));
    const active = await stores[0]!.db.selectFrom("signing_keys").select("kid").where("retired_at", "is", null).execute();
    expect(active).toHaveLength(1);
    expect(await stores[0]!.db.selectFrom("signing_keys").select("kid").execute()).toHaveLength(1);
    for (const ring of rings) expect(ring.activeKid).toBe(active[0]!.kid);
  });

  it("replicas starting at once on an empty database create one default resource and one signing key", async () => {
    tdb = await createTestDatabase(backend, {}, { empty: true });
    const config = tdb.config;
    const started = await Promise.all([openCore(config), openCore(config), openCore(config), openCore(config)]);
    cores.push(...started);
    const db = started[0]!.store.db;
    const resources = await db.selectFrom("resources").select(["id", "is_default"]).execute();
    expect(resources).toEqual([{ id: started[0]!.defaultResource.id, is_default: 1 }]);
    const keys = await db.selectFrom("signing_keys").select("kid").where("retired_at", "is", null).execute();
    expect(keys).toHaveLength(1);
    // The built-in authority's ring (the same KeyRing, RS256) and its tenant: one of each as well.
    const authorityKeys = await db.selectFrom("idp_signing_keys").select(["kid", "alg"]).execute();
    expect(authorityKeys).toEqual([{ kid: expect.any(String), alg: "RS256" }]);
    expect(await db.selectFrom("idp_tenants").select("id").execute()).toHaveLength(1);
    for (const core of started) {
      expect(core.defaultResource.id).toBe(resources[0]!.id);
      expect(core.defaultResource.keys.primary.value).toBe(started[0]!.defaultResource.keys.primary.value);
      expect(core.keyRing.activeKid).toBe(keys[0]!.kid);
      expect(core.entra.keys.activeKid).toBe(authorityKeys[0]!.kid);
      expect(core.entra.keys.tenantId).toBe(started[0]!.entra.keys.tenantId);
      // The management plane's subscription, created on first start, is one for every replica too.
      expect(core.management.subscriptionId).toBe(started[0]!.management.subscriptionId);
    }
    // Four cores each migrate and open in one process: on a loaded 2-core machine that takes well over the default.
  }, 90_000);
});
