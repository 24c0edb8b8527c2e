import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { openStore } from "../../src/store/store.js";
import { generateAccessKey } from "../../src/util/crypto.js";
import { backendNames, freshPostgresUrl } from "../support/backends.js";
import { identityClient, startChildServer, type ChildServer } from "./child-server.js";

const LOAD_WORKERS = 8;
/** The load runs until this many writes were acknowledged (or 20 s passed), then the server is killed mid-load. */
const KILL_AFTER_ACKS = 300;

/**
 * Durability: a write load (identity creations and revocations over HTTP), `kill -9` of the server process in the
 * middle of it, a restart on the same storage; every write that got a 2xx is there.
 */
describe.each(backendNames)("kill -9 under write load on %s", (backend) => {
  const children: ChildServer[] = [];
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
  });

  it("keeps every acknowledged identity and revocation", async () => {
    const primaryKey = generateAccessKey();
    const secondaryKey = generateAccessKey();
    const databaseUrl = backend === "postgres" ? await freshPostgresUrl() : undefined;
    const first = await startChildServer({ databaseUrl, primaryKey, secondaryKey });
    children.push(first);
    const client = identityClient(first.httpUrl, primaryKey);

    const created = new Map<string, string>(); // acknowledged identity id → its token
    const revoked = new Set<string>(); // acknowledged revocations
    const revoking = new Set<string>(); // revocations sent (those cut off by the kill may or may not have committed)
    let failures = 0;
    let acks = 0;
    let killed = false;
    const worker = async (n: number): Promise<void> => {
      for (let i = 0; !killed; i++) {
        try {
          const res = await client.createWithToken();
          if (res.status !== 201) throw new Error(`create answered ${res.status}`);
          created.set(res.body.identity.id, res.body.accessToken.token);
          acks++;
          if ((i + n) % 2 === 0) {
            revoking.add(res.body.identity.id);
            const r = await client.revoke(res.body.identity.id);
            if (r.status !== 204) throw new Error(`revoke answered ${r.status}`);
            revoked.add(res.body.identity.id);
            acks++;
          }
        } catch (err) {
          if (!killed) throw err;
          failures++;
          return;
        }
      }
    };
    const load = Promise.all(Array.from({ length: LOAD_WORKERS }, (_, n) => worker(n)));
    const deadline = Date.now() + 20_000;
    while (acks < KILL_AFTER_ACKS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    killed = true;
    process.kill(first.pid, "SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    await load;
    console.log(
      `[crash] ${backend}: killed after ${created.size} acknowledged creations and ${revoked.size} acknowledged revocations (${failures} requests cut off)`,
    );
    expect(created.size).toBeGreaterThan(0);
    expect(revoked.size).toBeGreaterThan(0);

    // Restart on the same storage.
    const second = await startChildServer({ databaseUrl, dataDir: first.dataDir, primaryKey, secondaryKey });
    children.push(second);

    // Straight from the database: every acknowledged row and revocation.
    const config = loadConfig({ overrides: { dataDir: first.dataDir, ...(databaseUrl ? { databaseUrl } : {}), log: { level: "silent" } } });
    const store = await openStore(config, { migrate: false });
    try {
      const rows = await store.db.selectFrom("identities").select(["id", "token_generation", "revoked_at"]).execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      const missing = [...created.keys()].filter((id) => !byId.has(id));
      const unrevoked = [...revoked].filter((id) => byId.get(id)?.token_generation !== 1 || byId.get(id)?.revoked_at === null);
      expect(missing).toEqual([]);
      expect(unrevoked).toEqual([]);
    } finally {
      await store.close();
    }

    // And through the restarted server: revoked tokens are refused, the never-revoked ones still valid.
    const after = identityClient(second.httpUrl, primaryKey);
    for (const [id, token] of created) {
      const res = await after.introspect(token);
      expect(res.status).toBe(200);
      if (revoked.has(id)) expect(res.body.active).toBe(false);
      else if (!revoking.has(id)) expect(res.body.active).toBe(true);
    }
  }, 120_000);
});
