import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { credentialOf, principalWithRole } from "./arm-support.js";

/** A management failure reaches the request log line and the metrics with its ARM code, as ACS failures do. */
describe.each(backendNames)("ARM error codes in the request log and metrics (%s)", (backend) => {
  let srv: TestServer;
  let sub: string;
  let ownerToken: string;
  let nobodyToken: string;

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    sub = srv.server.core.management.subscriptionId;
    const owner = await principalWithRole(srv, "log-owner", "Owner");
    const nobody = await principalWithRole(srv, "log-nobody");
    ownerToken = (await credentialOf(srv, owner).getToken(`${srv.httpsUrl}/.default`))!.token;
    nobodyToken = (await credentialOf(srv, nobody).getToken(`${srv.httpsUrl}/.default`))!.token;
  });
  afterAll(async () => {
    await srv?.close();
  });

  const get = (path: string, token: string) => fetch(`${srv.httpsUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const requestLines = (): Array<{ op?: string; status?: number; code?: string; reqId?: string }> =>
    srv
      .readLog()
      .split("\n")
      .filter((l) => l.includes('"msg":"request"'))
      .map((l) => JSON.parse(l) as { op?: string; status?: number; code?: string });

  it("logs the ARM code of a 404, a 400 and a 403 on the request's line, and counts the 403 by code", async () => {
    const cs = `/subscriptions/${sub}/resourceGroups/rg-log-missing/providers/Microsoft.Communication/communicationServices/nothing`;
    const missing = await get(`${cs}?api-version=2025-09-01`, ownerToken);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-ms-error-code")).toBe("ResourceGroupNotFound");
    expect((await missing.json()) as unknown).toStrictEqual({ error: { code: "ResourceGroupNotFound", message: "Resource group 'rg-log-missing' could not be found." } });

    const noVersion = await get(cs, ownerToken);
    expect(noVersion.status).toBe(400);
    expect(((await noVersion.json()) as { error: { code: string } }).error.code).toBe("MissingApiVersionParameter");

    const denied = await get(`${cs}?api-version=2025-09-01`, nobodyToken);
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe("AuthorizationFailed");

    // A line is written when its response has finished, which the client can see first.
    const lines = () => requestLines().filter((l) => l.op === "arm.communicationServices.get");
    await vi.waitFor(() =>
      expect(lines().map((l) => [l.status, l.code])).toStrictEqual([
        [404, "ResourceGroupNotFound"],
        [400, "MissingApiVersionParameter"],
        [403, "AuthorizationFailed"],
      ]),
    );

    const metrics = await (await fetch(`${srv.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^switchboard_auth_failures_total\{code="AuthorizationFailed"\} 1$/m);
  });
});
