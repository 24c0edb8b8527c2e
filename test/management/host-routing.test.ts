import http from "node:http";
import { createHttpHeaders, type HttpClient, type PipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { armClient, principalWithRole } from "./arm-support.js";

const DOMAIN = "acs.test";

/**
 * A TLS-terminating reverse proxy as the SDK sees it: the client talks to `https://<name>.acs.test/`, and every request
 * arrives at the server's one plain-HTTP port with that Host header (what a proxy passes on). Nothing resolves DNS.
 */
function viaProxy(port: number): HttpClient {
  return {
    sendRequest: (request: PipelineRequest) =>
      new Promise<PipelineResponse>((resolve, reject) => {
        const url = new URL(request.url);
        const out = http.request(
          { host: "127.0.0.1", port, method: request.method, path: url.pathname + url.search, headers: { ...request.headers.toJSON(), host: url.host } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("error", reject);
            res.on("end", () =>
              resolve({
                request,
                status: res.statusCode!,
                headers: createHttpHeaders(Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]))),
                bodyAsText: Buffer.concat(chunks).toString("utf8"),
              }),
            );
          },
        );
        out.on("error", reject);
        out.end(typeof request.body === "string" ? request.body : undefined);
      }),
  };
}

/** The value of one series of `switchboard_resource_http_requests_total` (0 when absent). */
function resourceRequests(scrape: string, resource: string, status: string): number {
  const line = scrape.split("\n").find((l) => l.startsWith("switchboard_resource_http_requests_total{") && l.includes(`resource="${resource}"`) && l.includes(`status="${status}"`));
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

describe.each(backendNames)("resources told apart by Host behind a reverse proxy, metrics per resource (%s)", (backend) => {
  let srv: TestServer;
  let arm: ReturnType<typeof armClient>;
  let proxy: HttpClient;

  async function create(name: string): Promise<{ id: string; client: CommunicationIdentityClient; connectionString: string }> {
    const r = await arm.communicationServices.beginCreateOrUpdateAndWait(`rg-${name}`, name, { location: "global", dataLocation: "United States" });
    const keys = await arm.communicationServices.listKeys(`rg-${name}`, name);
    return { id: r.immutableResourceId!, connectionString: keys.primaryConnectionString!, client: new CommunicationIdentityClient(keys.primaryConnectionString!, { httpClient: proxy }) };
  }

  async function scrape(): Promise<string> {
    const res = await fetch(`${srv.httpUrl}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  }

  beforeAll(async () => {
    srv = await startTestServer({ backend, config: { management: { domain: DOMAIN } } });
    arm = armClient(srv, await principalWithRole(srv, "proxy-owner", "Owner"));
    const port = Number(new URL(srv.httpUrl).port);
    proxy = viaProxy(port);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("two resources on the same port, Host a.<domain> / b.<domain>: each sees only its own identities; a new resource answers at once", async () => {
    const a = await create("a");
    const b = await create("b");
    expect(a.connectionString).toMatch(/^endpoint=https:\/\/a\.acs\.test\/;accesskey=/);
    expect(b.connectionString).toMatch(/^endpoint=https:\/\/b\.acs\.test\/;accesskey=/);

    const ua = (await a.client.createUser()).communicationUserId;
    const ub = (await b.client.createUser()).communicationUserId;
    expect(ua.startsWith(`8:acs:${a.id}_`)).toBe(true);
    expect(ub.startsWith(`8:acs:${b.id}_`)).toBe(true);
    // Each resource issues tokens for its own identity and refuses the other's.
    expect((await a.client.getToken({ communicationUserId: ua }, ["chat"])).token.split(".")).toHaveLength(3);
    await expect(a.client.getToken({ communicationUserId: ub }, ["chat"])).rejects.toMatchObject({ statusCode: 401, code: "IdentityNotOwned" });
    await expect(b.client.getToken({ communicationUserId: ua }, ["chat"])).rejects.toMatchObject({ statusCode: 401, code: "IdentityNotOwned" });
    // A's key signing for Host b.<domain> is refused: the Host picks the resource, and with it the key.
    const aKeyAtB = new CommunicationIdentityClient(a.connectionString.replace("https://a.acs.test/", "https://b.acs.test/"), { httpClient: proxy });
    await expect(aKeyAtB.createUser()).rejects.toMatchObject({ statusCode: 401 });

    // Created after start: reachable by its Host on the next request, no restart, no new port.
    const c = await create("c-late");
    const uc = (await c.client.createUserAndToken(["voip"])).user.communicationUserId;
    expect(uc.startsWith(`8:acs:${c.id}_`)).toBe(true);
    await expect(c.client.revokeTokens({ communicationUserId: ua })).rejects.toMatchObject({ statusCode: 401, code: "IdentityNotOwned" });
  });

  it("metrics count each resource's requests apart (label: the immutable resource id)", async () => {
    const a = await create("metrics-a");
    const b = await create("metrics-b");
    const before = await scrape();
    for (let i = 0; i < 3; i++) await a.client.createUser();
    await b.client.createUser();
    await expect(b.client.getToken({ communicationUserId: "8:acs:00000000-0000-0000-0000-000000000000_x" }, ["chat"])).rejects.toMatchObject({ statusCode: 401 });
    const after = await scrape();
    const delta = (id: string, status: string) => resourceRequests(after, id, status) - resourceRequests(before, id, status);
    expect(delta(a.id, "2xx")).toBe(3);
    expect(delta(a.id, "4xx")).toBe(0);
    expect(delta(b.id, "2xx")).toBe(1);
    expect(delta(b.id, "4xx")).toBe(1);
    // None of them was counted for the default resource (only the scrape, which lands there, may be).
    expect(delta(srv.resource.id, "2xx")).toBeLessThanOrEqual(1);
    expect(delta(srv.resource.id, "4xx")).toBe(0);
    expect(after).toMatch(/^# TYPE switchboard_resource_http_requests_total counter$/m);
  });
});
