import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ClientSecretCredential, UsernamePasswordCredential } from "@azure/identity";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scanLogs } from "../support/secret-scan.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ACS_SCOPE, createSp, runCli } from "./entra-support.js";

describe("client secrets and passwords at rest and in logs", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.close();
  });

  it("appear nowhere in clear text in the SQLite files or the request log, after being used", async () => {
    const sp = await createSp(srv, "secret-holder", ["--role", "Contributor"]);
    const rotated = JSON.parse(await runCli(srv, ["sp", "secret", "add", sp.clientId, "--expires-in-days", "30", "--json"]));
    const password = "a long user password 42";
    await runCli(srv, ["user", "create", "--name", "dora", "--password", password]);

    // Use every credential, successfully and unsuccessfully, so the request log has seen them go by.
    for (const secret of [sp.clientSecret!, rotated.clientSecret as string]) {
      const credential = new ClientSecretCredential(sp.tenantId, sp.clientId, secret, { authorityHost: srv.httpsUrl, disableInstanceDiscovery: true });
      await new CommunicationIdentityClient(`${srv.httpsUrl}/`, credential).createUser();
    }
    await new UsernamePasswordCredential(sp.tenantId, sp.clientId, "dora", password, { authorityHost: srv.httpsUrl, disableInstanceDiscovery: true }).getToken(ACS_SCOPE);
    await expect(
      new UsernamePasswordCredential(sp.tenantId, sp.clientId, "dora", `${password}!`, { authorityHost: srv.httpsUrl, disableInstanceDiscovery: true }).getToken(ACS_SCOPE),
    ).rejects.toThrow(/AADSTS50126/);
    await expect(
      new ClientSecretCredential(sp.tenantId, sp.clientId, `${sp.clientSecret!}x`, { authorityHost: srv.httpsUrl, disableInstanceDiscovery: true }).getToken(ACS_SCOPE),
    ).rejects.toThrow(/AADSTS7000215/);

    const secrets = [sp.clientSecret!, rotated.clientSecret as string, password];
    // The store and the activity record (its own file), with their write-ahead logs.
    await srv.server.core.activity.flush();
    const dbFiles = ["switchboard.db", "switchboard.db-wal", "activity.db", "activity.db-wal"].map((f) => path.join(srv.dataDir, f)).filter((f) => existsSync(f));
    expect(dbFiles.map((f) => path.basename(f))).toEqual(expect.arrayContaining(["switchboard.db", "activity.db"]));
    for (const file of dbFiles) {
      const bytes = readFileSync(file);
      for (const secret of secrets) {
        expect(bytes.includes(Buffer.from(secret)), `${secret.slice(0, 4)}… in ${path.basename(file)}`).toBe(false);
        // Not even the random part of a client secret (after its public id).
        const randomPart = secret.split("~")[1];
        if (randomPart !== undefined) expect(bytes.includes(Buffer.from(randomPart))).toBe(false);
      }
    }
    // What is stored is a scrypt hash per secret.
    const rows = await srv.server.core.store.db.selectFrom("entra_client_secrets").select(["hash"]).execute();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const r of rows) expect(r.hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);

    const log = srv.readLog();
    expect(log).toContain('"op":"idp.token"');
    for (const secret of secrets) expect(log.includes(secret)).toBe(false);
    expect(scanLogs([srv.logFile], secrets)).toEqual([]);
  });
});
