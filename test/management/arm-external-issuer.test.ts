import http from "node:http";
import type { AddressInfo } from "node:net";
import { CommunicationServiceManagementClient } from "@azure/arm-communication";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { runCli } from "../entra/entra-support.js";

const OID = "0b7c3e51-2a64-4f0e-9a8d-7c1f2e3d4b5a";

/** An OIDC issuer on loopback serving one ES256 key. */
async function startIssuer() {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  const server = http.createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(req.url === "/jwks" ? { keys: [jwk] } : {}));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer: `${base}/tenant`,
    jwksUri: `${base}/jwks`,
    sign: (aud: string) =>
      new SignJWT({ aud, oid: OID, sub: OID, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 })
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setIssuer(`${base}/tenant`)
        .sign(privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(backendNames)("a trusted external issuer on the management plane (%s)", (backend) => {
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  let srv: TestServer;

  beforeAll(async () => {
    issuer = await startIssuer();
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
    for await (const r of clientWith(await issuer.sign("https://management.azure.com/")).communicationServices.listBySubscription()) names.push(r.name);
    expect(names).toEqual([srv.resource.name]);
    await expect(clientWith(await issuer.sign("https://communication.azure.com")).communicationServices.listBySubscription().next()).rejects.toMatchObject({
      statusCode: 401,
      code: "InvalidTokenAudience",
    });
  });
});
