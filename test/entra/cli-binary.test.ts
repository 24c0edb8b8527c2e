import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, runCliInProcess } from "../support/cli.js";
import { createStore } from "../support/create-store.js";

/** The built `switchboard` binary (npm test builds first): output contract and one-line failures. */
describe("switchboard sp / user / role (built CLI)", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "switchboard-entra-cli-"));
  const withDir = (...args: string[]) => [...args, "--data-dir", dataDir];
  beforeAll(() => createStore(dataDir));

  it("sp create --json prints the documented object and exits 0", async () => {
    const res = await runCli(withDir("sp", "create", "--name", "ci-app", "--role", "Reader", "--json"));
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(Object.keys(out).sort()).toEqual(["authorityHost", "clientId", "clientSecret", "objectId", "tenantId"]);
    expect(out.authorityHost).toBe("https://127.0.0.1:8443");
    const roles = JSON.parse((await runCliInProcess(withDir("role", "list", "--json"))).stdout);
    expect(roles).toEqual([{ principalId: out.objectId, principalName: "ci-app", role: "Reader", scope: "*" }]);
  });

  it("fails with one clear line and exit code 1 on bad input", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["role", "assign", "--principal", "nobody", "--role", "Reader"], /no principal 'nobody'/],
      [["role", "assign", "--principal", "ci-app", "--role", "Emperor"], /no role named 'Emperor'/],
      [["user", "create", "--name", "u", "--password", "short"], /at least 8 characters/],
      [["sp", "create", "--name", "ci-app"], /already exists/],
      [["sp", "create", "--name", "x", "--expires-in-days", "-1"], /--expires-in-days/],
      [["sp", "delete", "nobody"], /no service principal 'nobody'/],
    ];
    // The first case through the built binary (its exit code and stderr), the rest in process (same entry function).
    for (const [i, [args, message]] of cases.entries()) {
      const res = await (i === 0 ? runCli : runCliInProcess)(withDir(...args));
      expect({ args, code: res.code }).toEqual({ args, code: 1 });
      expect(res.stderr.trim().split("\n")).toHaveLength(1);
      expect(res.stderr).toMatch(message);
    }
  });
});
