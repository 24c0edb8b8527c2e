import { CommunicationServiceManagementClient } from "@azure/arm-communication";
import { startOidcIssuer, type OidcIssuer } from "../support/oidc-issuer.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { runCli } from "../entra/entra-support.js";

const OID = "0b7c3e51-2a64-4f0e-9a8d-7c1f2e3d4b5a";

describe.each(backendNames)("a trusted external issuer on the management plane (%s)", (backend) => {
  let issuer: OidcIssuer;
  let srv: TestServer;

  beforeAll(async () => {
    issuer = await startOidcIssuer();
    srv = await startTestServer({
      backend,
      config: { entra: { trustedIssuers: [{ issuer: issuer.issuer, jwksUri: issuer.jwksUri, audiences: ["https://communication.azure.com"], managementAudiences: ["https://management.azure.com/"] }] } },
    });
    await runCli(srv, ["role", "assign", "--principal", OID, "--issuer", issuer.issuer, "--role", "Owner", "--scope", `/subscriptions/${srv.server.core.management.subscriptionId}`]);
  });
  afterAll(async () => {
    await srv?.close();
    await issuer?.close();
  });

  const clientWith = (token: string) =>
    new CommunicationServiceManagementClient({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 600_000 }) }, srv.server.core.management.subscriptionId, {
      endpoint: srv.httpsUrl,
    });

  it("accepts its token for https://management.azure.com/ and refuses its data-plane token (401 InvalidTokenAudience)", async () => {
    const names = [];
    for await (const r of clientWith(await issuer.sign({ aud: "https://management.azure.com/", oid: OID, sub: OID })).communicationServices.listBySubscription()) names.push(r.name);
    expect(names).toEqual([srv.resource.name]);
    await expect(clientWith(await issuer.sign({ aud: "https://communication.azure.com", oid: OID, sub: OID })).communicationServices.listBySubscription().next()).rejects.toMatchObject({
      statusCode: 401,
      code: "InvalidTokenAudience",
    });
  });
});
