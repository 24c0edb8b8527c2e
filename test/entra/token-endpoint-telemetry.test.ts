import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ACS_SCOPE, createSp, type CreatedSp } from "./entra-support.js";

/** Token-endpoint refusals are failures like any other: their code is in the request log line and the metrics. */
describe.each(backendNames)("token endpoint failures in the request log and metrics (%s)", (backend) => {
  let srv: TestServer;
  let sp: CreatedSp;
  beforeAll(async () => {
    srv = await startTestServer({ backend });
    sp = await createSp(srv, "telemetry-app");
  });
  afterAll(async () => {
    await srv.close();
  });

  const token = (tenant: string, form: Record<string, string>) =>
    fetch(`${srv.httpsUrl}/${tenant}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form),
    });
  // The request line is written when the response has finished; over HTTPS the client can hold the response a moment
  // before that, so the checks below wait for the line.
  const requestLines = () =>
    srv
      .readLog()
      .split("\n")
      .filter((l) => l.includes('"op":"idp.token"'))
      .map((l) => JSON.parse(l) as { status: number; code?: string });

  it("logs a wrong client secret as 401 AADSTS7000215 and counts it under that code", async () => {
    const res = await token(sp.tenantId, { grant_type: "client_credentials", client_id: sp.clientId, client_secret: "nope~nope", scope: ACS_SCOPE });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error_codes: number[] }).error_codes).toEqual([7000215]);
    await vi.waitFor(() => expect(requestLines().at(-1)).toMatchObject({ status: 401, code: "AADSTS7000215" }));
    const metrics = await (await fetch(`${srv.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^switchboard_auth_failures_total\{code="AADSTS7000215"\} [1-9]/m);
    expect(srv.readLog()).not.toContain("nope~nope");
  });

  it("logs a 400 refusal with its code, and a success with none", async () => {
    const bad = await token("not-this-tenant", { grant_type: "client_credentials", client_id: sp.clientId, client_secret: sp.clientSecret!, scope: ACS_SCOPE });
    expect(bad.status).toBe(400);
    await vi.waitFor(() => expect(requestLines().at(-1)).toMatchObject({ status: 400, code: "AADSTS90002" }));
    const ok = await token(sp.tenantId, { grant_type: "client_credentials", client_id: sp.clientId, client_secret: sp.clientSecret!, scope: ACS_SCOPE });
    expect(ok.status).toBe(200);
    await vi.waitFor(() => expect(requestLines().at(-1)!.status).toBe(200));
    expect(requestLines().at(-1)!.code).toBeUndefined();
  });
  it("logs a refusal of a user grant (refresh_token) with its AADSTS code and none of the request's secrets", async () => {
    const refresh = "rt-must-not-be-logged-0123456789";
    const res = await token(sp.tenantId, { grant_type: "refresh_token", client_id: sp.clientId, refresh_token: refresh, client_secret: sp.clientSecret! });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; error_codes: number[] };
    expect(body.error).toBe("unauthorized_client");
    expect(body.error_codes).toEqual([700054]);
    await vi.waitFor(() => expect(requestLines().at(-1)).toMatchObject({ status: 400, code: "AADSTS700054" }));
    expect(srv.readLog()).not.toContain(refresh);
    expect(srv.readLog()).not.toContain(sp.clientSecret!);
  });

  it("logs and counts a managed identity refusal under its OAuth error, without the presented header", async () => {
    const header = "sbmi-not-a-workload-header-must-not-be-logged";
    const res = await fetch(`${srv.httpsUrl}/msi/token?api-version=2019-08-01&resource=${encodeURIComponent("https://communication.azure.com")}`, {
      headers: { "x-identity-header": header },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "unauthorized_client", error_description: "The identity header does not belong to any workload." });
    const line = () =>
      srv
        .readLog()
        .split("\n")
        .filter((l) => l.includes('"op":"mi.token.app-service"'))
        .map((l) => JSON.parse(l) as { status: number; code?: string })
        .at(-1);
    await vi.waitFor(() => expect(line()).toMatchObject({ status: 401, code: "unauthorized_client" }));
    const metrics = await (await fetch(`${srv.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^switchboard_auth_failures_total\{code="unauthorized_client"\} [1-9]/m);
    expect(srv.readLog()).not.toContain(header);
  });
});
