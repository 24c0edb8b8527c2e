import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import path from "node:path";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { describe, expect, it } from "vitest";
import { DEV_PRIMARY_KEY, DEV_RESOURCE_ID } from "../../src/config/dev-mode.js";
import { CLI } from "../support/cli.js";
import { freePort, run, startServer } from "./newcomer-support.js";

const repo = path.resolve(path.dirname(CLI), "../..");

/**
 * No container builder runs on the test machine, so the image's entrypoint (deploy/container-start.sh) and its
 * HEALTHCHECK (deploy/healthcheck.mjs) are run directly, with the environment the image gives them.
 */
describe("container start script", () => {
  it("listens on every interface in dev mode, with a certificate for the configured names, and passes its healthcheck", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "sb-container-"));
    const env = {
      SWITCHBOARD_PORT: String(await freePort()),
      SWITCHBOARD_HTTP_PORT: String(await freePort()),
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_TLS_HOSTNAMES: "localhost,switchboard.test.internal,10.9.8.7",
      SWITCHBOARD_HOST: "",
      SWITCHBOARD_DEV: "",
    };
    const server = await startServer(path.join(repo, "deploy", "container-start.sh"), [], { env });
    try {
      expect(server.banner).toContain("well-known development mode (--dev)");
      expect(server.banner).toContain(`Resource 'dev' (${DEV_RESOURCE_ID})`);

      const san = new X509Certificate(readFileSync(path.join(dataDir, "tls", "cert.pem"))).subjectAltName!;
      expect(san.split(", ")).toEqual(expect.arrayContaining(["DNS:localhost", "DNS:switchboard.test.internal", "IP Address:10.9.8.7", "IP Address:127.0.0.1"]));

      // Bound to 0.0.0.0: reachable on a non-loopback address of this machine.
      const external = Object.values(networkInterfaces()).flat().find((a) => a !== undefined && a.family === "IPv4" && !a.internal);
      expect(external, "this test needs one non-loopback IPv4 address").toBeDefined();
      const ready = await fetch(`http://${external!.address}:${env.SWITCHBOARD_HTTP_PORT}/health/ready`);
      expect(ready.status).toBe(200);

      const client = new CommunicationIdentityClient(`endpoint=http://127.0.0.1:${env.SWITCHBOARD_HTTP_PORT}/;accesskey=${DEV_PRIMARY_KEY}`, { allowInsecureConnection: true });
      expect((await client.createUser()).communicationUserId).toMatch(new RegExp(`^8:acs:${DEV_RESOURCE_ID}_`));

      const healthy = await run(process.execPath, [path.join(repo, "deploy", "healthcheck.mjs")], { env });
      expect(healthy.code).toBe(0);
      const viaHttps = await run(process.execPath, [path.join(repo, "deploy", "healthcheck.mjs")], { env: { ...env, SWITCHBOARD_HTTP_PORT: "off" } });
      expect(viaHttps.code).toBe(0);
      const wrongPort = await run(process.execPath, [path.join(repo, "deploy", "healthcheck.mjs")], { env: { ...env, SWITCHBOARD_HTTP_PORT: String(await freePort()) } });
      expect(wrongPort.code).toBe(1);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it("SWITCHBOARD_DEV=0 starts with random keys, still on every interface", async () => {
    const env = { SWITCHBOARD_PORT: String(await freePort()), SWITCHBOARD_HTTP_PORT: "off", SWITCHBOARD_DATA_DIR: mkdtempSync(path.join(tmpdir(), "sb-container-")), SWITCHBOARD_DEV: "0", SWITCHBOARD_HOST: "" };
    const server = await startServer(path.join(repo, "deploy", "container-start.sh"), [], { env });
    try {
      expect(server.banner).not.toContain("well-known development mode");
      expect(server.banner).not.toContain(DEV_PRIMARY_KEY);
      expect(server.banner).toMatch(/HTTPS:\s+https:\/\/127\.0\.0\.1:\d+\//);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
