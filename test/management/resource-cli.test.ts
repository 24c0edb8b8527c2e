import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, describe, expect, it } from "vitest";
import { backendNames, freshPostgresUrl } from "../support/backends.js";
import { runCli, startCliServer, type CliServer } from "../support/cli.js";
import { within } from "./arm-support.js";

/** A port free right now, as the first of the resources' own ports. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const works = async (cs: string) => {
  try {
    await new CommunicationIdentityClient(cs, { retryOptions: { maxRetries: 0 } }).createUser();
    return true;
  } catch {
    return false;
  }
};

/** The test run's certificate, which this process trusts (test/global-setup.ts). */
const tlsArgs = ["--tls-cert", process.env.SWITCHBOARD_TEST_TLS_CERT!, "--tls-key", process.env.SWITCHBOARD_TEST_TLS_KEY!];

describe.each(backendNames)("switchboard resource and keys --resource (built CLI beside a running server, %s)", (backend) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "switchboard-resource-cli-"));
  let server: CliServer | undefined;
  let env: NodeJS.ProcessEnv;
  /** Where the store is: the data directory, or (PostgreSQL) a fresh schema beside it. */
  let store: string[] = ["--data-dir", dataDir];
  afterAll(async () => {
    await server?.stop();
  });

  // Ten CLI processes, each opening the store: bounded generously for a loaded machine.
  it("creates, lists, shows, rotates and deletes a resource; the running server follows within a second", { timeout: 120_000 }, async () => {
    const base = await freePort();
    env = { SWITCHBOARD_RESOURCE_PORT_BASE: String(base) };
    if (backend === "postgres") store = ["--data-dir", dataDir, "--database-url", await freshPostgresUrl()];
    server = await startCliServer([...store, ...tlsArgs], env);

    const created = await runCli(["resource", "create", "cli-one", "--resource-group", "rg-cli", "--data-location", "Europe", "--json", ...store], env);
    expect(created.code).toBe(0);
    const view = JSON.parse(created.stdout);
    expect(view).toMatchObject({
      name: "cli-one",
      resourceGroup: "rg-cli",
      dataLocation: "Europe",
      endpoint: `https://127.0.0.1:${base}/`,
      hostName: `127.0.0.1:${base}`,
      armId: expect.stringMatching(/^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/rg-cli\/providers\/Microsoft\.Communication\/communicationServices\/cli-one$/),
      immutableResourceId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      primaryConnectionString: expect.stringMatching(new RegExp(`^endpoint=https://127\\.0\\.0\\.1:${base}/;accesskey=`)),
    });
    expect(await within(1000, () => works(view.primaryConnectionString))).toBeLessThanOrEqual(1000);

    const list = JSON.parse((await runCli(["resource", "list", "--json", ...store], env)).stdout);
    expect(list.map((r: { name: string }) => r.name)).toEqual(["dev", "cli-one"]);
    expect(list[0]).toMatchObject({ resourceGroup: "switchboard-dev", endpoint: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\/$/) });
    const shown = JSON.parse((await runCli(["resource", "show", "cli-one", "--json", ...store], env)).stdout);
    expect(shown).toEqual(view);

    const keys = JSON.parse((await runCli(["keys", "list", "--resource", "cli-one", "--json", ...store], env)).stdout);
    expect(keys).toMatchObject({ resource: "cli-one", endpoint: view.endpoint, primaryConnectionString: view.primaryConnectionString });
    const rotated = JSON.parse((await runCli(["keys", "regenerate", "--primary", "--resource", "cli-one", "--json", ...store], env)).stdout);
    expect(rotated.connectionString.startsWith(`endpoint=https://127.0.0.1:${base}/;accesskey=`)).toBe(true);
    expect(await within(1000, async () => !(await works(view.primaryConnectionString)))).toBeLessThanOrEqual(1000);
    expect(await works(rotated.connectionString)).toBe(true);

    const bad = await runCli(["resource", "create", "bad name", ...store], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("invalid");
    const twin = await runCli(["resource", "create", "cli-one", ...store], env);
    expect(twin.code).not.toBe(0);
    expect(twin.stderr).toContain("already exists");

    const deleted = await runCli(["resource", "delete", "cli-one", ...store], env);
    expect(deleted.stdout).toContain("deleted");
    expect(await within(1000, async () => !(await works(rotated.connectionString)))).toBeLessThanOrEqual(1000);
  });

  it("start prints every resource's connection strings, on the same ports after a restart", { timeout: 60_000 }, async () => {
    const two = JSON.parse((await runCli(["resource", "create", "cli-two", "--json", ...store], env)).stdout);
    await server!.stop();
    server = await startCliServer([...store, ...tlsArgs], env);
    expect(server.banner).toContain(`Resource 'cli-two' (${two.immutableResourceId}) in resource group switchboard-dev`);
    expect(server.banner).toContain(`primary   (HTTPS): ${two.primaryConnectionString}`);
    expect(server.banner).toMatch(/Management plane .*\n {2}endpoint https:\/\/127\.0\.0\.1:\d+ {2}subscription [0-9a-f-]{36}/);
    expect(await within(1000, () => works(two.primaryConnectionString))).toBeLessThanOrEqual(1000);
  });
});
