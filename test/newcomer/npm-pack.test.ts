import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEV_RESOURCE_ID } from "../../src/config/dev-mode.js";
import { CLI } from "../support/cli.js";
import { freePort, run, startServer } from "./newcomer-support.js";

const repo = path.resolve(path.dirname(CLI), "../..");

const versionOf = (dir: string): string | undefined =>
  existsSync(path.join(dir, "package.json")) ? (JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version : undefined;

/**
 * better-sqlite3's native addon, already built in the clone, when it is of the version the install resolved: then
 * the install skips the compile. This machine cannot download prebuilt binaries, so `npm install` compiles
 * better-sqlite3 from source (2-5 minutes, python3/make/g++); what the test proves does not depend on that compile.
 * The addon is built for the Node that runs the clone's tests, which is the Node that runs the installed server.
 */
function reusableAddon(installedDir: string): string | undefined {
  const cloneDir = path.join(repo, "node_modules", "better-sqlite3");
  const addon = path.join(cloneDir, "build", "Release", "better_sqlite3.node");
  if (!existsSync(addon)) return undefined;
  const version = versionOf(cloneDir);
  return version !== undefined && version === versionOf(installedDir) ? addon : undefined;
}

/** SWITCHBOARD_PACK_TEST_COMPILE=1: the install runs better-sqlite3's own install script, as a user's would. */
const fullInstall = process.env.SWITCHBOARD_PACK_TEST_COMPILE === "1";

/**
 * The package as a user installs it: `npm pack` (from the built dist/), installed into an empty folder outside the
 * clone with nothing but the registry, then `switchboard start --dev --in-memory` and an Identity SDK call over HTTPS
 * set up by `switchboard env --dev`. The install runs with --ignore-scripts and takes better-sqlite3's addon from the
 * clone (see reusableAddon) unless SWITCHBOARD_PACK_TEST_COMPILE=1 or the clone's copy is of another version; only
 * better-sqlite3 among the runtime dependencies has an install script (a check below keeps that true).
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
    const installArgs = ["install", "--no-audit", "--no-fund", "--prefer-offline", path.join(work, tarball)];
    let install = await run("npm", fullInstall ? installArgs : [...installArgs, "--ignore-scripts"], { cwd: app, timeoutMs: 570_000 });
    expect(install.code, install.stderr).toBe(0);
    if (!fullInstall) {
      // Install scripts skipped: better-sqlite3's is the only one among the runtime dependencies.
      const lock = JSON.parse(readFileSync(path.join(app, "package-lock.json"), "utf8")) as { packages: Record<string, { hasInstallScript?: boolean }> };
      expect(Object.entries(lock.packages).filter(([, p]) => p.hasInstallScript === true).map(([k]) => k)).toEqual(["node_modules/better-sqlite3"]);
      const sqliteDir = path.join(app, "node_modules", "better-sqlite3");
      const addon = reusableAddon(sqliteDir);
      if (addon !== undefined) {
        mkdirSync(path.join(sqliteDir, "build", "Release"), { recursive: true });
        copyFileSync(addon, path.join(sqliteDir, "build", "Release", "better_sqlite3.node"));
      } else {
        // The clone has no addon of that version: build it as a user's install would.
        install = await run("npm", ["rebuild", "better-sqlite3"], { cwd: app, timeoutMs: 570_000 });
        expect(install.code, install.stderr).toBe(0);
      }
    }
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
