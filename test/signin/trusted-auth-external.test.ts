import { startOidcIssuer, type OidcIssuer } from "../support/oidc-issuer.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { runSigninCli } from "./signin-support.js";

const OID = "3e0a4c1b-2f55-4d7e-9a61-7c2b8d9e0f13";
const TID = "9b1d2c3e-4f5a-4b6c-8d7e-0f1a2b3c4d5e";

describe.each(backendNames)("the trusted authentication service with a trusted external issuer (%s)", (backend) => {
  let issuer: OidcIssuer;
  let srv: TestServer;
  let baseUrl: string;
  const call = (token: string, method = "GET", path = "/api/user") => fetch(`${baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    issuer = await startOidcIssuer();
    srv = await startTestServer({
      backend,
      config: { entra: { trustedIssuers: [{ issuer: issuer.issuer, jwksUri: issuer.jwksUri, audiences: ["switchboard-api", "contoso-chat-api"] }] } },
    });
    baseUrl = (JSON.parse(await runSigninCli(srv, ["trusted-auth", "info", "--json", "--endpoint", srv.httpsUrl])) as { baseUrl: string }).baseUrl;
  });
  afterAll(async () => {
    await srv?.close();
    await issuer?.close();
  });

  it("accepts an external user token only for an audience configured for the service, and with access_as_user", async () => {
    const forService = await issuer.sign({ aud: "contoso-chat-api", oid: OID, sub: OID, tid: TID, scp: "access_as_user" });
    // Not configured for the service yet: the issuer's audience alone is not enough.
    expect((await call(forService, "POST")).status).toBe(401);
    await runSigninCli(srv, ["trusted-auth", "info", "--json", "--endpoint", srv.httpsUrl, "--external-audience", "contoso-chat-api"]);
    const created = await call(forService, "POST");
    expect(created.status).toBe(201);
    const { acsUserIdentity } = (await created.json()) as { acsUserIdentity: string };
    expect(await (await call(forService)).json()).toEqual({ acsUserIdentity });

    // A token of the same issuer for the ACS APIs' audience is refused, as is one without the scope.
    const forAcs = await issuer.sign({ aud: "switchboard-api", oid: OID, sub: OID, tid: TID, scp: "access_as_user" });
    const wrongAudience = await call(forAcs);
    expect(wrongAudience.status).toBe(401);
    expect(await wrongAudience.json()).toMatchObject({ error: { code: "InvalidTokenAudience" } });
    const noScope = await issuer.sign({ aud: "contoso-chat-api", oid: OID, sub: OID, tid: TID, scp: "User.Read" });
    expect((await call(noScope)).status).toBe(403);

    const mappings = JSON.parse(await runSigninCli(srv, ["trusted-auth", "mappings", "--json"])) as Array<Record<string, string>>;
    expect(mappings).toEqual([expect.objectContaining({ issuer: issuer.issuer, tenantId: TID, objectId: OID, acsUserIdentity })]);
  });
});
