import { CommunicationIdentityClient } from "@azure/communication-identity";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { runCli } from "./entra-support.js";
import { startOidcIssuer } from "../support/oidc-issuer.js";

/** The shared loopback issuer; its tokens here are for the data-plane audience configured below unless a test says. */
async function startIssuer() {
  const issuer = await startOidcIssuer();
  return {
    ...issuer,
    sign: (claims: Record<string, unknown>, key?: Parameters<typeof issuer.sign>[1], kid?: string) =>
      issuer.sign({ aud: "switchboard-api", ...claims }, key, kid),
  };
}

const EXTERNAL_OID = "5f1c2a9e-7b1d-4c55-9d2a-0e6f3b8a1c42";

describe.each(backendNames)("a trusted external OIDC issuer (%s)", (backend) => {
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  let unconfigured: TestServer;
  let configured: TestServer;

  const createWith = async (srv: TestServer, token: string) => {
    const res = await fetch(`${srv.httpsUrl}/identities?api-version=2023-10-01`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, code: ((await res.json()) as any)?.error?.code as string | undefined };
  };

  beforeAll(async () => {
    issuer = await startIssuer();
    unconfigured = await startTestServer({ backend });
    configured = await startTestServer({
      backend,
      config: { entra: { trustedIssuers: [{ issuer: issuer.issuer, discoveryUrl: issuer.discoveryUrl, audiences: ["switchboard-api"] }] } },
    });
    for (const srv of [unconfigured, configured]) {
      await runCli(srv, ["role", "assign", "--principal", EXTERNAL_OID, "--issuer", issuer.issuer, "--role", "Contributor"]);
    }
  });
  afterAll(async () => {
    await Promise.all([unconfigured?.close(), configured?.close()]);
    await issuer?.close();
  });

  it("is refused while not configured, and accepted (with its role assignment) once configured", async () => {
    const token = await issuer.sign({ sub: EXTERNAL_OID, oid: EXTERNAL_OID });
    expect(await createWith(unconfigured, token)).toEqual({ status: 401, code: "UntrustedTokenIssuer" });
    expect((await createWith(configured, token)).status).toBe(201);
    // The official client with a TokenCredential that hands out the external token.
    const client = new CommunicationIdentityClient(`${configured.httpsUrl}/`, {
      getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 600_000 }),
    });
    expect((await client.createUser()).communicationUserId).toMatch(/^8:acs:/);
  });

  it("needs a role like any principal: another subject of the issuer gets 403", async () => {
    const token = await issuer.sign({ sub: "0d9a1f1e-0000-4000-8000-000000000001" });
    expect(await createWith(configured, token)).toEqual({ status: 403, code: "AuthorizationFailed" });
  });

  it("refuses its tokens for an audience it was not configured with", async () => {
    const token = await issuer.sign({ sub: EXTERNAL_OID, aud: "https://communication.azure.com" });
    expect(await createWith(configured, token)).toEqual({ status: 401, code: "InvalidTokenAudience" });
  });

  it("refuses a token signed by a key outside its JWKS, refetching the JWKS for an unknown kid at most once a minute", async () => {
    const rogue = await generateKeyPair("ES256");
    const before = issuer.jwksFetches();
    const unknownKid = await issuer.sign({ sub: EXTERNAL_OID }, rogue.privateKey, "rogue-key");
    expect(await createWith(configured, unknownKid)).toEqual({ status: 401, code: "UnknownSigningKey" });
    expect(await createWith(configured, unknownKid)).toEqual({ status: 401, code: "UnknownSigningKey" });
    expect(issuer.jwksFetches() - before).toBeLessThanOrEqual(1);
    // The issuer's own kid with a foreign key: the signature does not verify.
    const stolenKid = await issuer.sign({ sub: EXTERNAL_OID }, rogue.privateKey, "issuer-key-1");
    expect(await createWith(configured, stolenKid)).toEqual({ status: 401, code: "InvalidToken" });
    // An embedded key is never used, even naming the issuer.
    const embedded = await new SignJWT({ sub: EXTERNAL_OID, aud: "switchboard-api", exp: Math.floor(Date.now() / 1000) + 600 })
      .setProtectedHeader({ alg: "ES256", kid: "rogue-key", jwk: await exportJWK(rogue.publicKey) })
      .setIssuer(issuer.issuer)
      .sign(rogue.privateKey);
    expect(await createWith(configured, embedded)).toEqual({ status: 401, code: "TokenKeySourceNotAllowed" });
  });
});

describe("a trusted issuer whose keys cannot be had", () => {
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  let srv: TestServer;
  beforeAll(async () => {
    issuer = await startIssuer();
    srv = await startTestServer({
      config: {
        entra: {
          trustedIssuers: [
            // Its discovery document names another issuer: its keys are not used.
            { issuer: "https://impostor.example.com/realms/test", discoveryUrl: issuer.discoveryUrl, audiences: ["switchboard-api"] },
            // Nothing listens there.
            { issuer: "https://down.example.com/", jwksUri: "http://127.0.0.1:1/keys", audiences: ["switchboard-api"] },
          ],
        },
      },
    });
  });
  afterAll(async () => {
    await srv?.close();
    await issuer?.close();
  });

  it("refuses its tokens with a 401, never a 5xx", async () => {
    for (const iss of ["https://impostor.example.com/realms/test", "https://down.example.com/"]) {
      const token = await new SignJWT({ sub: EXTERNAL_OID, aud: "switchboard-api", exp: Math.floor(Date.now() / 1000) + 600 })
        .setProtectedHeader({ alg: "ES256", kid: "issuer-key-1" })
        .setIssuer(iss)
        .sign((await generateKeyPair("ES256")).privateKey);
      const res = await fetch(`${srv.httpsUrl}/identities?api-version=2023-10-01`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
      expect({ iss, status: res.status, code: ((await res.json()) as any).error.code }).toEqual({ iss, status: 401, code: "InvalidToken" });
    }
    // The operator hears of it.
    const warnings = srv.readLog().split("\n").filter((l) => l.includes("trusted issuer keys unavailable"));
    expect(warnings.some((l) => l.includes("impostor.example.com") && l.includes("names another issuer"))).toBe(true);
    expect(warnings.some((l) => l.includes("down.example.com"))).toBe(true);
  });
});

describe("trusted issuer configuration", () => {
  it("is read from SWITCHBOARD_ENTRA_TRUSTED_ISSUERS", () => {
    const config = loadConfig({
      env: { SWITCHBOARD_ENTRA_TRUSTED_ISSUERS: JSON.stringify([{ issuer: "https://login.example.com/t/v2.0", jwksUri: "https://login.example.com/t/keys" }]) },
    });
    expect(config.entra.trustedIssuers).toEqual([
      {
        issuer: "https://login.example.com/t/v2.0",
        jwksUri: "https://login.example.com/t/keys",
        audiences: ["https://communication.azure.com", "https://communication.azure.com/"],
      },
    ]);
  });

  it("refuses plain http off loopback, and both or neither of jwksUri and discoveryUrl, listing every problem", () => {
    expect(() =>
      loadConfig({
        overrides: {
          entra: {
            trustedIssuers: [
              { issuer: "a", jwksUri: "http://keys.example.com/keys", audiences: ["x"] },
              { issuer: "b", audiences: ["x"] },
            ],
          },
        },
      }),
    ).toThrow(/https URL[\s\S]*exactly one of jwksUri or discoveryUrl/);
  });
});
