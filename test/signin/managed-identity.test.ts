import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { MiCreateOutput } from "../../src/cli/mi-command.js";
import { managedDomainOf } from "../../src/email/email-domains.js";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { recordSecrets, runSigninCli, runWorkload } from "./signin-support.js";

/**
 * Log lines of one operation (the request log names the operation, never the header or the URL). A line is written
 * when its response has finished, which the client can see first: the checks below wait for the lines they expect.
 */
function requestsOf(srv: TestServer, op: string): number {
  return srv
    .readLog()
    .split("\n")
    .filter((l) => l.includes(`"op":"${op}"`)).length;
}

describe.each(backendNames)("managed identity: App Service and IMDS protocols (%s)", (backend) => {
  let srv: TestServer;
  let writer: MiCreateOutput;
  let reader: MiCreateOutput;
  let other: MiCreateOutput;
  let endpoint: string;

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    endpoint = `${srv.httpsUrl}/`;
    const create = async (args: string[]) =>
      JSON.parse(await runSigninCli(srv, ["mi", "create", "--json", "--endpoint", srv.httpsUrl, ...args])) as MiCreateOutput;
    writer = await create(["--name", "orders-api", "--role", "Contributor", "--scope", srv.resource.name]);
    // A second identity of the same workload, without a role: selected by client_id.
    reader = await create(["--name", "orders-reader", "--workload", "orders-api"]);
    other = await create(["--name", "billing", "--role", "Contributor"]);
    recordSecrets([writer.identityHeader!, other.identityHeader!]);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("mi create prints the environment; a joined identity keeps its workload's header; mi list shows roles", async () => {
    expect(writer.identityEndpoint).toBe(`${srv.httpsUrl}/msi/token`);
    expect(writer.identityHeader).toMatch(/^sbmi[0-9a-f]{64}$/);
    expect(writer.imdsAuthorityHost).toBe(`${srv.httpsUrl}/mi/${writer.identityHeader}`);
    expect(reader).toMatchObject({ workload: "orders-api", identityHeader: null, imdsAuthorityHost: null });
    const list = JSON.parse(await runSigninCli(srv, ["mi", "list", "--json"])) as Array<Record<string, unknown>>;
    expect(list.map((m) => [m.name, m.workload, (m.roles as unknown[]).length])).toEqual([
      ["orders-api", "orders-api", 1],
      ["orders-reader", "orders-api", 0],
      ["billing", "billing", 1],
    ]);
    const text = await runSigninCli(srv, ["mi", "create", "--name", "text-form", "--endpoint", srv.httpsUrl]);
    expect(text).toMatch(/^export IDENTITY_ENDPOINT=https:\/\/127\.0\.0\.1:\d+\/msi\/token$/m);
    expect(text).toMatch(/^export IDENTITY_HEADER=sbmi[0-9a-f]{64}$/m);
    expect(text).toMatch(/^export AZURE_POD_IDENTITY_AUTHORITY_HOST=/m);
    expect(text).toContain("docker-compose");
    recordSecrets([/IDENTITY_HEADER=(\S+)/.exec(text)![1]!]);
    expect(await runSigninCli(srv, ["mi", "delete", "text-form"])).toContain("deleted");
  });

  it("ManagedIdentityCredential and DefaultAzureCredential with only IDENTITY_ENDPOINT + IDENTITY_HEADER create users", async () => {
    const env = { IDENTITY_ENDPOINT: writer.identityEndpoint, IDENTITY_HEADER: writer.identityHeader! };
    for (const kind of ["mi", "dac"]) {
      const result = await runWorkload(env, [kind, endpoint]);
      expect(result, kind).toMatchObject({ ok: true });
      expect(result.user).toMatch(new RegExp(`^8:acs:${srv.resource.id}_`));
    }
    // The request log names the managed identity as the principal of the Identity call.
    await vi.waitFor(() => expect(srv.readLog()).toContain(`"principal":"sp:${writer.principalId}"`));
  });

  it("ManagedIdentityCredential and DefaultAzureCredential with only AZURE_POD_IDENTITY_AUTHORITY_HOST (IMDS) create users", async () => {
    const env = { AZURE_POD_IDENTITY_AUTHORITY_HOST: writer.imdsAuthorityHost! };
    const before = requestsOf(srv, "mi.token.imds");
    for (const kind of ["mi", "dac"]) {
      const result = await runWorkload(env, [kind, endpoint]);
      expect(result, kind).toMatchObject({ ok: true });
    }
    await vi.waitFor(() => expect(requestsOf(srv, "mi.token.imds")).toBeGreaterThanOrEqual(before + 2));
  });

  it("DefaultAzureCredential with only the IMDS variable drives Phone Numbers, SMS and Email; the request log names the identity", async () => {
    const result = await runWorkload({ AZURE_POD_IDENTITY_AUTHORITY_HOST: writer.imdsAuthorityHost! }, ["dac", endpoint, "-", "messaging", `DoNotReply@${managedDomainOf(srv.resource.id)}`]);
    expect(result).toMatchObject({ ok: true, sms: true, email: "Succeeded" });
    const smsLines = () => srv.readLog().split("\n").filter((l) => l.includes(`"op":"sms.send"`));
    await vi.waitFor(() => expect(smsLines().some((l) => l.includes(`"principal":"sp:${writer.principalId}"`))).toBe(true));
  });

  it("client_id selects among the workload's identities: an identity without a role gets 403, another workload's is refused", async () => {
    const env = { IDENTITY_ENDPOINT: writer.identityEndpoint, IDENTITY_HEADER: writer.identityHeader! };
    const asReader = await runWorkload(env, ["mi", endpoint, reader.clientId]);
    expect(asReader).toMatchObject({ ok: false, status: 403 });
    const asWriter = await runWorkload(env, ["mi", endpoint, writer.clientId]);
    expect(asWriter).toMatchObject({ ok: true });
    const before = requestsOf(srv, "mi.token.app-service");
    const foreign = await runWorkload(env, ["mi", endpoint, other.clientId]);
    expect(foreign.ok).toBe(false);
    expect(foreign.ms).toBeLessThan(5_000);
    await vi.waitFor(() => expect(requestsOf(srv, "mi.token.app-service")).toBe(before + 1));
    // The other workload's own header does select it.
    const billing = await runWorkload({ IDENTITY_ENDPOINT: other.identityEndpoint, IDENTITY_HEADER: other.identityHeader! }, ["dac", endpoint]);
    expect(billing).toMatchObject({ ok: true });
  });

  it("a wrong or missing header fails in one request with 400/401, never 404/5xx", async () => {
    const before = requestsOf(srv, "mi.token.app-service");
    const wrong = await runWorkload({ IDENTITY_ENDPOINT: writer.identityEndpoint, IDENTITY_HEADER: `sbmi${"0".repeat(64)}` }, ["mi", endpoint]);
    expect(wrong.ok).toBe(false);
    expect(wrong.ms).toBeLessThan(5_000);
    await vi.waitFor(() => expect(requestsOf(srv, "mi.token.app-service")).toBe(before + 1));

    const url = (q: string) => `${writer.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent("https://communication.azure.com/")}${q}`;
    const none = await fetch(url(""));
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: "unauthorized_client" });
    const bad = await fetch(url(""), { headers: { "x-identity-header": "nope" } });
    expect(bad.status).toBe(401);
    const badResource = await fetch(url("").replace("communication.azure.com", "example.com"), { headers: { "x-identity-header": writer.identityHeader! } });
    expect(badResource.status).toBe(400);
    const good = await fetch(url(""), { headers: { "x-identity-header": writer.identityHeader! } });
    expect(good.status).toBe(200);
    const body = (await good.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["access_token", "client_id", "expires_in", "expires_on", "resource", "token_type"]);
    expect(body).toMatchObject({ resource: "https://communication.azure.com/", token_type: "Bearer", client_id: writer.clientId });
    // IMDS without the Metadata header, and the bare IMDS path (no workload secret): 400/401 at once.
    const imds = `${writer.imdsAuthorityHost}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`;
    expect((await fetch(imds)).status).toBe(400);
    expect((await fetch(imds, { headers: { metadata: "true" } })).status).toBe(200);
    expect((await fetch(`${srv.httpsUrl}/metadata/identity/oauth2/token/?api-version=2018-02-01&resource=https://management.azure.com/`, { headers: { metadata: "true" } })).status).toBe(401);
    // The header never reaches the log.
    expect(srv.readLog()).not.toContain(writer.identityHeader!);
  });
});
