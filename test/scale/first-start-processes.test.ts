import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { backendNames, freshPostgresUrl } from "../support/backends.js";
import { runCli } from "./child-server.js";

/**
 * Separate processes opening one empty database at the same moment (CLI commands here; replicas alike): migrations
 * and first-start setup take turns, and all of them end up with the same single default resource and signing key.
 */
describe.each(backendNames)("processes starting at once on an empty %s database", (backend) => {
  it("agree on one default resource and one signing key", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "switchboard-race-"));
    // An empty SQLite file is an empty database (CLI commands never create a store that does not exist).
    if (backend === "sqlite") writeFileSync(path.join(dir, "switchboard.db"), "");
    const store = backend === "postgres" ? ["--database-url", await freshPostgresUrl()] : ["--data-dir", dir];
    const [k1, k2, k3, s1] = await Promise.all([
      runCli(["keys", "list", "--json", ...store]),
      runCli(["keys", "list", "--json", ...store]),
      runCli(["keys", "list", "--json", ...store]),
      runCli(["signing-keys", "list", "--json", ...store]),
    ]);
    const keys = [k1, k2, k3].map((out) => JSON.parse(out) as { resourceId: string; primaryKey: string });
    expect(new Set(keys.map((k) => k.resourceId)).size).toBe(1);
    expect(new Set(keys.map((k) => k.primaryKey)).size).toBe(1);
    const signing = JSON.parse(await runCli(["signing-keys", "list", "--json", ...store])) as { active: string; keys: unknown[] };
    expect(signing.keys).toHaveLength(1);
    expect((JSON.parse(s1!) as { active: string }).active).toBe(signing.active);
  }, 120_000);
});
