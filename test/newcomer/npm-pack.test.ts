import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEV_RESOURCE_ID } from "../../src/config/dev-mode.js";
import { CLI } from "../support/cli.js";
import { freePort, run, startServer } from "./newcomer-support.js";

const repo = path.resolve(path.dirname(CLI), "../..");

/**
 * The package as a user installs it: `npm pack` (from the built dist/), installed into an empty folder outside the
 * clone with nothing but the registry, then `switchboard start --dev --in-memory` and an Identity SDK call over HTTPS
 * set up by `switchboard env --dev`. Slow (a real install; better-sqlite3 compiles when no prebuilt binary can be
 * downloaded), so it is the only test of its kind.
 */
describe("npm pack tarball", () => {
  it("holds only dist/ and installs into an empty folder, where switchboard start --dev --in-memory serves the SDK", async () => {
    const work = mkdtempSync(path.join(tmpdir(), "sb-pack-"));
    execFileSync("npm", ["pack", "--ignore-scripts", "--pack-destination", work], { cwd: repo, stdio: "ignore" });
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"))!;
    expect(tarball).toMatch(/^switchboard-server-\d+\.\d+\.\d+\.tgz$/);
    const files = execFileSync("tar", ["tzf", path.join(work, tarball)], { encoding: "utf8" }).trim().split("\n");
    expect(files.filter((f) => !f.startsWith("package/dist/"))).toEqual(expect.arrayContaining(["package/package.json", "package/README.md"]));
    expect(files.filter((f) => !f.startsWith("package/dist/") && !["package/package.json", "package/README.md", "package/LICENSE"].includes(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".map") || f.includes("/test/") || f.endsWith(".ts"))).toEqual([]);

    const app = path.join(work, "app");
    execFileSync("mkdir", [app]);
    writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "newcomer-app", private: true }));
    const install = await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", path.join(work, tarball)], { cwd: app, timeoutMs: 570_000 });
    expect(install.code, install.stderr).toBe(0);
    const installed = JSON.parse(execFileSync("npm", ["ls", "--omit=dev", "--all", "--json"], { cwd: app, encoding: "utf8" })) as { dependencies: Record<string, { dependencies?: object }> };
    const top = installed.dependencies["@switchboard/server"]!.dependencies!;
    for (const devOnly of ["vitest", "typescript", "playwright-core", "azurite", "autocannon", "@azure/communication-identity"]) expect(Object.keys(top)).not.toContain(devOnly);

    const bin = path.join(app, "node_modules", ".bin", "switchboard");
    const env = { SWITCHBOARD_PORT: String(await freePort()), SWITCHBOARD_HTTP_PORT: String(await freePort()), NODE_EXTRA_CA_CERTS: "" };
    const server = await startServer(bin, ["start", "--dev", "--in-memory"], { cwd: app, env });
    try {
      writeFileSync(
        path.join(app, "identity.cjs"),
        `const { CommunicationIdentityClient } = require("@azure/communication-identity");
new CommunicationIdentityClient(process.env.COMMUNICATION_SERVICES_CONNECTION_STRING)
  .createUserAndToken(["chat"])
  .then(({ user, token }) => console.log(JSON.stringify({ id: user.communicationUserId, token: token.split(".").length })));`,
      );
      // The SDK comes from the clone (NODE_PATH, CommonJS); the server, the certificate and the variables from the install.
      const res = await run("bash", ["-c", `set -e; eval "$(./node_modules/.bin/switchboard env --dev)"; node identity.cjs`], {
        cwd: app,
        env: { ...env, NODE_PATH: path.join(repo, "node_modules") },
      });
      expect(res.stderr).toBe("");
      expect(JSON.parse(res.stdout)).toEqual({ id: expect.stringMatching(new RegExp(`^8:acs:${DEV_RESOURCE_ID}_`)), token: 3 });
    } finally {
      await server.stop();
    }
  }, 600_000);
});
