import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { armClient, credentialOf, principalWithRole } from "./arm-support.js";

describe.each(backendNames)("ARM wire: long-running operations, errors, cloud metadata (%s)", (backend) => {
  let srv: TestServer;
  let token: string;
  let sub: string;
  let owner: Awaited<ReturnType<typeof principalWithRole>>;
  const DELAY_MS = 400;

  beforeAll(async () => {
    srv = await startTestServer({ backend, config: { management: { operationDelayMs: DELAY_MS } } });
    sub = srv.server.core.management.subscriptionId;
    owner = await principalWithRole(srv, "wire-owner", "Owner");
    token = (await credentialOf(srv, owner).getToken(`${srv.httpsUrl}/.default`))!.token;
  });
  afterAll(async () => {
    await srv?.close();
  });

  const arm = (path: string, init: { method?: string; body?: unknown; apiVersion?: string | null } = {}) => {
    const v = init.apiVersion === undefined ? "2025-09-01" : init.apiVersion;
    const url = `${srv.httpsUrl}${path}${v === null ? "" : `?api-version=${v}`}`;
    return fetch(url, {
      method: init.method ?? "GET",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  };
  const csPath = (rg: string, name: string) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Communication/communicationServices/${name}`;

  it("PUT answers 201 with Azure-AsyncOperation and Retry-After; the operation runs for the configured delay, then succeeds", async () => {
    const res = await arm(csPath("rg-wire", "wire-a"), { method: "PUT", body: { location: "global", properties: { dataLocation: "United States" } } });
    expect(res.status).toBe(201);
    expect(res.headers.get("retry-after")).toBe("0");
    const statusUrl = res.headers.get("azure-asyncoperation")!;
    expect(statusUrl).toMatch(new RegExp(`^${srv.httpsUrl}/subscriptions/${sub}/providers/Microsoft\\.Communication/locations/global/operationStatuses/[0-9a-f-]{36}\\?api-version=2025-09-01$`));
    const body = await res.json();
    expect(body).toMatchObject({ name: "wire-a", type: "Microsoft.Communication/CommunicationServices", properties: { dataLocation: "United States" } });

    const running = await (await fetch(statusUrl, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(running).toMatchObject({ status: "Running", resourceId: csPath("rg-wire", "wire-a"), percentComplete: 0 });
    await new Promise((r) => setTimeout(r, DELAY_MS + 50));
    const done = await (await fetch(statusUrl, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(done).toMatchObject({ status: "Succeeded", percentComplete: 100, endTime: expect.any(String) });
  });

  it("the SDK's poller waits for the operation (beginCreateOrUpdate reports running first)", async () => {
    const client = armClient(srv, owner);
    const poller = await client.communicationServices.beginCreateOrUpdate("rg-wire", "wire-b", { location: "global", dataLocation: "Europe" }, { updateIntervalInMs: 50 });
    expect(poller.getOperationState().status).toBe("running");
    const started = Date.now();
    const result = await poller.pollUntilDone();
    expect(Date.now() - started).toBeGreaterThanOrEqual(DELAY_MS / 2);
    expect(result).toMatchObject({ name: "wire-b", provisioningState: "Succeeded" });

    const del = await client.communicationServices.beginDelete("rg-wire", "wire-b", { updateIntervalInMs: 50 });
    expect(del.getOperationState().status).toBe("running");
    await del.pollUntilDone();
    await expect(client.communicationServices.get("rg-wire", "wire-b")).rejects.toMatchObject({ statusCode: 404 });
  });

  it("DELETE answers 202 with Location; the operation result is 202 while running and 204 when done; a missing resource is 204", async () => {
    await arm(csPath("rg-wire", "wire-c"), { method: "PUT", body: { location: "global", properties: { dataLocation: "Europe" } } });
    const res = await arm(csPath("rg-wire", "wire-c"), { method: "DELETE" });
    expect(res.status).toBe(202);
    const location = res.headers.get("location")!;
    expect(location).toContain("/operationResults/");
    expect((await fetch(location, { headers: { authorization: `Bearer ${token}` } })).status).toBe(202);
    await new Promise((r) => setTimeout(r, DELAY_MS + 50));
    expect((await fetch(location, { headers: { authorization: `Bearer ${token}` } })).status).toBe(204);
    expect((await arm(csPath("rg-wire", "wire-c"), { method: "DELETE" })).status).toBe(204);
  });

  it("errors come in ARM's shape with ARM's codes", async () => {
    const cases: Array<[Promise<Response>, number, string, string?]> = [
      [arm(csPath("rg-wire", "wire-a"), { apiVersion: null }), 400, "MissingApiVersionParameter"],
      [arm(csPath("rg-wire", "wire-a"), { apiVersion: "2019-01-01" }), 400, "InvalidApiVersionParameter"],
      [arm(csPath("rg-wire", "wire-x"), { method: "PUT", body: { properties: { dataLocation: "Europe" } } }), 400, "InvalidRequestContent", "location"],
      [arm(csPath("rg-wire", "wire-x"), { method: "PUT", body: { location: "global", tags: { k: 5 } } }), 400, "InvalidRequestContent", "tags.k"],
      [arm(csPath("rg-wire", "bad.name"), { method: "PUT", body: { location: "global" } }), 400, "InvalidResourceName"],
      [arm(csPath("rg-other", "wire-a"), { method: "PUT", body: { location: "global" } }), 409, "Conflict"],
      [arm(`${csPath("rg-wire", "wire-a")}/regenerateKey`, { method: "POST", body: { keyType: "Tertiary" } }), 400, "InvalidRequestContent", "keyType"],
      [arm(csPath("rg-wire", "nothing-here"), {}), 404, "ResourceNotFound"],
      [arm(csPath("rg-nowhere", "wire-a"), {}), 404, "ResourceGroupNotFound"],
      [arm(csPath("rg-wire", "wire-a").replace(sub, "00000000-0000-0000-0000-000000000000"), {}), 404, "SubscriptionNotFound"],
      [arm(`/subscriptions/${sub}/providers/Microsoft.Communication/locations/global/operationStatuses/00000000-0000-0000-0000-000000000000`), 404, "OperationNotFound"],
    ];
    for (const [pending, status, code, target] of cases) {
      const res = await pending;
      const body = (await res.json()) as { error: { code: string; message: string; target?: string } };
      expect({ status: res.status, code: body.error?.code }).toEqual({ status, code });
      expect(typeof body.error.message).toBe("string");
      if (target !== undefined) expect(body.error.target).toBe(target);
    }
    for (const v of ["2023-04-01", "2025-05-01-preview", "2026-03-18"]) expect((await arm(csPath("rg-wire", "wire-a"), { apiVersion: v })).status).toBe(200);
  });

  it("GET /metadata/endpoints describes the server as a cloud (resource manager, login endpoint, audiences)", async () => {
    const res = await fetch(`${srv.httpsUrl}/metadata/endpoints?api-version=2015-01-01`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      resourceManager: `${srv.httpsUrl}/`,
      authentication: {
        loginEndpoint: `${srv.httpsUrl}/`,
        audiences: expect.arrayContaining(["https://management.azure.com/", "https://management.core.windows.net/", `${srv.httpsUrl}/`]),
        tenant: srv.server.core.entra.keys.tenantId,
      },
    });
    const newer = await (await fetch(`${srv.httpsUrl}/metadata/endpoints?api-version=2022-09-01`)).json();
    expect(newer).toEqual([body]);
  });
});
