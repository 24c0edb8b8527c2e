import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { DEV_EMAIL_SENDER, DEV_PRIMARY_KEY, DEV_RESOURCE_ID, DEV_TENANT_ID } from "../../src/config/dev-mode.js";
import { CLI } from "../support/cli.js";
import { bannerConnectionString, freePort, run, runCliIn, startServer } from "./newcomer-support.js";

const repoModules = path.resolve(path.dirname(CLI), "../../node_modules");

/** A folder outside the clone with an SDK script (node_modules linked to the clone's, as an app would install them). */
function appFolder(script: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "sb-newcomer-app-"));
  symlinkSync(repoModules, path.join(dir, "node_modules"));
  writeFileSync(path.join(dir, "app.mjs"), script);
  return dir;
}

const identityScript = `
import { CommunicationIdentityClient } from "@azure/communication-identity";
const client = new CommunicationIdentityClient(process.env.COMMUNICATION_SERVICES_CONNECTION_STRING);
const { user, token } = await client.createUserAndToken(["chat"]);
console.log(JSON.stringify({ id: user.communicationUserId, token: token.length > 0, sender: process.env.EMAIL_SENDER_ADDRESS }));
`;

describe("well-known dev mode", () => {
  it("start --dev --in-memory serves the same published connection strings at every start, and the SDK works", async () => {
    const banners: string[] = [];
    for (let i = 0; i < 2; i++) {
      const [port, httpPort] = [await freePort(), await freePort()];
      const srv = await startServer(process.execPath, [CLI, "start", "--dev", "--in-memory", "--port", String(port), "--http-port", String(httpPort), "--data-dir", mkdtempSync(path.join(tmpdir(), "sb-dev-"))]);
      try {
        banners.push(srv.banner.replaceAll(String(port), "<port>").replaceAll(String(httpPort), "<http>").replace(/\/tmp\/sb-dev-\w+/g, "<dir>"));
        expect(srv.banner).toContain("well-known development mode (--dev)");
        expect(srv.banner).toContain(`endpoint=https://127.0.0.1:${port}/;accesskey=${DEV_PRIMARY_KEY}`);
        expect(srv.banner).toContain(`e-mail sender:     ${DEV_EMAIL_SENDER}`);
        expect(srv.banner).toContain(`AZURE_TENANT_ID=${DEV_TENANT_ID}`);
        expect(srv.banner).not.toContain("switchboard sp create");
        expect(srv.banner).toContain(`Set up a shell:            eval "$(switchboard env --dev)"`);
        const client = new CommunicationIdentityClient(bannerConnectionString(srv.banner, "HTTP"), { allowInsecureConnection: true });
        expect((await client.createUser()).communicationUserId).toMatch(new RegExp(`^8:acs:${DEV_RESOURCE_ID}_`));
      } finally {
        await srv.stop();
      }
    }
    expect(banners[1]).toBe(banners[0]);
  }, 90_000);

  it("is refused on a non-loopback address unless forced; pinned ids accept any RFC 4122 string", async () => {
    const refused = await runCliIn(tmpdir(), ["start", "--dev", "--in-memory", "--host", "0.0.0.0"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/dev: the development mode uses published keys and is refused on the non-loopback host '0\.0\.0\.0'.*--dev-allow-remote/);
    expect(loadConfig({ overrides: { dev: true, devAllowRemote: true, host: "0.0.0.0" } }).resource.id).toBe(DEV_RESOURCE_ID);
    const pinned = loadConfig({ env: { SWITCHBOARD_RESOURCE_ID: "00000000-0000-0000-0000-000000000000", SWITCHBOARD_DEV: "1" } });
    expect(pinned.resource).toMatchObject({ id: "00000000-0000-0000-0000-000000000000", primaryKey: DEV_PRIMARY_KEY });
    expect(loadConfig({ overrides: { resource: { id: "ABCDEF00-0000-0000-0000-00000000000A" } } }).resource.id).toBe("abcdef00-0000-0000-0000-00000000000a");
    expect(() => loadConfig({ overrides: { resource: { id: "not-a-guid" } } })).toThrow(/resource\.id: must be a GUID/);
  });
});

describe("switchboard env", () => {
  it('eval "$(switchboard env)" in bash, from another folder, sets up an SDK app (absolute NODE_EXTRA_CA_CERTS, HTTPS)', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "sb-env-"));
    const ports = { SWITCHBOARD_PORT: String(await freePort()), SWITCHBOARD_HTTP_PORT: String(await freePort()), SWITCHBOARD_DATA_DIR: dataDir };
    const srv = await startServer(process.execPath, [CLI, "start"], { env: ports });
    try {
      expect(srv.banner).toContain(`Set up a shell:            eval "$(switchboard env --data-dir ${dataDir})"`);
      const app = appFolder(identityScript);
      // The child sees neither the test run's trusted certificate nor the store: only what `env` prints.
      const res = await run("bash", ["-c", `set -e; eval "$("${process.execPath}" "${CLI}" env)"; "${process.execPath}" app.mjs`], {
        cwd: app,
        env: { ...ports, NODE_EXTRA_CA_CERTS: "" },
      });
      expect(res.stderr).toBe("");
      const out = JSON.parse(res.stdout) as { id: string; token: boolean; sender: string };
      const keys = JSON.parse((await runCliIn(app, ["keys", "list", "--json"], ports)).stdout) as { resourceId: string };
      expect(out).toEqual({ id: expect.stringMatching(new RegExp(`^8:acs:${keys.resourceId}_`)), token: true, sender: `DoNotReply@${keys.resourceId}.azurecomm.net` });

      const text = (await runCliIn(app, ["env"], ports)).stdout;
      expect(text).toContain(`export NODE_EXTRA_CA_CERTS='${path.join(dataDir, "tls", "cert.pem")}'`);
      expect(text).toMatch(/^export COMMUNICATION_SERVICES_CONNECTION_STRING='endpoint=https:\/\/127\.0\.0\.1:\d+\/;accesskey=[^']+'$/m);
      const pwsh = (await runCliIn(app, ["env", "--shell", "powershell"], ports)).stdout;
      expect(pwsh).toContain(`$env:NODE_EXTRA_CA_CERTS = '${path.join(dataDir, "tls", "cert.pem")}'`);
      const dotenv = (await runCliIn(app, ["env", "--shell", "dotenv"], ports)).stdout;
      expect(dotenv).toMatch(/^EMAIL_SENDER_ADDRESS="DoNotReply@[0-9a-f-]+\.azurecomm\.net"$/m);

      const sp = await runCliIn(app, ["sp", "create", "--name", "env-app"], ports);
      expect(sp.code).toBe(0);
      const withSp = (await runCliIn(app, ["env", "--sp", "env-app", "--new-secret"], ports)).stdout;
      expect(withSp).toMatch(/^export AZURE_CLIENT_ID='[0-9a-f-]{36}'$/m);
      expect(withSp).toMatch(/^export AZURE_CLIENT_SECRET='.+'$/m);
    } finally {
      await srv.stop();
    }
  }, 90_000);

  it("env --dev prints the well-known values without a store (for a start --dev --in-memory server)", async () => {
    const res = await runCliIn(mkdtempSync(path.join(tmpdir(), "sb-env-dev-")), ["env", "--dev"], { SWITCHBOARD_DATA_DIR: "" });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`export COMMUNICATION_SERVICES_CONNECTION_STRING='endpoint=https://127.0.0.1:8443/;accesskey=${DEV_PRIMARY_KEY}'`);
    expect(res.stdout).toContain(`export AZURE_TENANT_ID='${DEV_TENANT_ID}'`);
    expect(res.stdout).toContain(`export EMAIL_SENDER_ADDRESS='${DEV_EMAIL_SENDER}'`);
  });
});
