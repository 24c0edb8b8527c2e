import { createHmac, generateKeyPairSync } from "node:crypto";
import { ClientSecretCredential } from "@azure/identity";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { exportJWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ACS_SCOPE, createSp, runCli, within, type CreatedSp } from "./entra-support.js";

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");

describe.each(backendNames)("Entra bearer tokens: every refusal is a 401 with its own code (%s)", (backend) => {
  let srv: TestServer;
  let sp: CreatedSp;
  let kid: string;
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (over: Record<string, unknown> = {}) => ({
    aud: "https://communication.azure.com",
    iss: `${srv.httpsUrl}/${sp.tenantId}/v2.0`,
    tid: sp.tenantId,
    oid: sp.objectId,
    sub: sp.objectId,
    appid: sp.clientId,
    iat: now(),
    nbf: now(),
    exp: now() + 3600,
    ...over,
  });
  /** A token signed by the authority's own key: only the claims under test are wrong. */
  const authoritySigned = (over: Record<string, unknown> = {}) => srv.server.core.entra.keys.sign(claims(over));

  async function createWith(token: string): Promise<{ status: number; code: string | undefined; body: any }> {
    const res = await fetch(`${srv.httpsUrl}/identities?api-version=2023-10-01`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    });
    const body = (await res.json()) as any;
    return { status: res.status, code: body?.error?.code, body };
  }

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    sp = await createSp(srv, "bearer-app", ["--role", "Contributor"]);
    kid = srv.server.core.entra.keys.jwks().keys[0]!.kid!;
  });
  afterAll(async () => {
    await srv.close();
  });

  it("accepts a well-formed token of the authority (control), also with aud 'https://communication.azure.com/' and a 4-minute skew", async () => {
    expect((await createWith(authoritySigned())).status).toBe(201);
    expect((await createWith(authoritySigned({ aud: "https://communication.azure.com/" }))).status).toBe(201);
    expect((await createWith(authoritySigned({ exp: now() - 240 }))).status).toBe(201);
    // The issuer's host is the one the client used to reach the authority (localhost here): still the authority.
    expect((await createWith(authoritySigned({ iss: `https://localhost:1/${sp.tenantId}/v2.0` }))).status).toBe(201);
  });

  it("refuses an unsigned token (alg: none)", async () => {
    const token = `${b64({ alg: "none", typ: "JWT" })}.${b64(claims())}.`;
    expect(await createWith(token)).toMatchObject({ status: 401, code: "UnsupportedTokenAlgorithm" });
  });

  it("refuses an HS256 token signed with the authority's public key", async () => {
    const publicPem = srv.server.core.entra.keys.verificationKey(kid)!.export({ type: "spki", format: "pem" });
    const input = `${b64({ alg: "HS256", typ: "JWT", kid })}.${b64(claims())}`;
    const token = `${input}.${createHmac("sha256", publicPem).update(input).digest("base64url")}`;
    expect(await createWith(token)).toMatchObject({ status: 401, code: "UnsupportedTokenAlgorithm" });
  });

  it("refuses a wrong audience", async () => {
    expect(await createWith(authoritySigned({ aud: "https://storage.azure.com" }))).toMatchObject({ status: 401, code: "InvalidTokenAudience" });
  });

  it("refuses an unknown issuer, and the authority's URL shape with another tenant", async () => {
    expect(await createWith(authoritySigned({ iss: "https://login.example.com/x/v2.0" }))).toMatchObject({ status: 401, code: "UntrustedTokenIssuer" });
    const otherTenant = "00000000-0000-0000-0000-000000000001";
    expect(await createWith(authoritySigned({ iss: `${srv.httpsUrl}/${otherTenant}/v2.0` }))).toMatchObject({
      status: 401,
      code: "UntrustedTokenIssuer",
    });
  });

  it("refuses an expired token (beyond the 5-minute skew)", async () => {
    expect(await createWith(authoritySigned({ iat: now() - 7200, nbf: now() - 7200, exp: now() - 360 }))).toMatchObject({
      status: 401,
      code: "TokenExpired",
    });
  });

  it("refuses a token that is not yet valid (beyond the 5-minute skew)", async () => {
    expect(await createWith(authoritySigned({ nbf: now() + 600 }))).toMatchObject({ status: 401, code: "TokenNotYetValid" });
  });

  it("refuses a kid that names no key", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid: "no-such-key" }).sign(privateKey);
    expect(await createWith(token)).toMatchObject({ status: 401, code: "UnknownSigningKey" });
  });

  it("refuses a token carrying its own jwk, and one naming a jku", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = await exportJWK(publicKey);
    const withJwk = await new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid, jwk }).sign(privateKey);
    expect(await createWith(withJwk)).toMatchObject({ status: 401, code: "TokenKeySourceNotAllowed" });
    const withJku = await new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid, jku: "http://127.0.0.1:1/keys" }).sign(privateKey);
    expect(await createWith(withJku)).toMatchObject({ status: 401, code: "TokenKeySourceNotAllowed" });
  });

  it("refuses a token signed by another key under the authority's kid, and a tampered payload", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const forged = await new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid }).sign(privateKey);
    expect(await createWith(forged)).toMatchObject({ status: 401, code: "InvalidToken" });
    const [h, , s] = authoritySigned().split(".");
    expect(await createWith(`${h}.${b64(claims({ oid: "someone-else" }))}.${s}`)).toMatchObject({ status: 401, code: "InvalidToken" });
    expect(await createWith("not-a-jwt")).toMatchObject({ status: 401, code: "InvalidToken" });
  });

  async function issuedToken(name: string): Promise<{ victim: CreatedSp; token: string }> {
    const victim = await createSp(srv, name, ["--role", "Contributor"]);
    const credential = new ClientSecretCredential(victim.tenantId, victim.clientId, victim.clientSecret!, {
      authorityHost: srv.httpsUrl,
      disableInstanceDiscovery: true,
    });
    const token = (await credential.getToken(ACS_SCOPE)).token;
    expect((await createWith(token)).status).toBe(201);
    return { victim, token };
  }

  it("refuses the existing tokens of a disabled principal within a second, and gives it no new one", async () => {
    const { victim, token } = await issuedToken("to-disable");
    await runCli(srv, ["sp", "disable", victim.clientId]);
    await within(1000, async () => (await createWith(token)).code === "PrincipalDisabled");
    expect(await createWith(token)).toMatchObject({ status: 401, code: "PrincipalDisabled" });
    await expect(
      new ClientSecretCredential(victim.tenantId, victim.clientId, victim.clientSecret!, {
        authorityHost: srv.httpsUrl,
        disableInstanceDiscovery: true,
      }).getToken(ACS_SCOPE),
    ).rejects.toThrow(/AADSTS7000112/);
    // Enabling it again restores the same token.
    await runCli(srv, ["sp", "enable", victim.clientId]);
    await within(1000, async () => (await createWith(token)).status === 201);
  });

  it("refuses the existing tokens of a deleted principal within a second", async () => {
    const { victim, token } = await issuedToken("to-delete");
    await runCli(srv, ["sp", "delete", victim.objectId]);
    await within(1000, async () => (await createWith(token)).code === "PrincipalNotFound");
    expect(await createWith(token)).toMatchObject({ status: 401, code: "PrincipalNotFound" });
    const res = await fetch(`${srv.httpsUrl}/${victim.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: victim.clientId, client_secret: victim.clientSecret!, scope: ACS_SCOPE }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "invalid_client", error_codes: [700016] });
  });

  it("refuses an expired client secret at the token endpoint (401 invalid_client AADSTS7000222)", async () => {
    const rotated = await createSp(srv, "expiring-secret", ["--role", "Contributor"]);
    const expired = await srv.server.core.entra.principals.addSecret(rotated.objectId, Date.now() - 1000);
    const res = await fetch(`${srv.httpsUrl}/${rotated.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: rotated.clientId, client_secret: expired.value, scope: ACS_SCOPE }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "invalid_client", error_codes: [7000222] });
    const sdk = new ClientSecretCredential(rotated.tenantId, rotated.clientId, expired.value, { authorityHost: srv.httpsUrl, disableInstanceDiscovery: true });
    await expect(new CommunicationIdentityClient(`${srv.httpsUrl}/`, sdk).createUser()).rejects.toThrow(/AADSTS7000222/);
    // The principal's other secret (rotation without downtime) still works.
    const current = new ClientSecretCredential(rotated.tenantId, rotated.clientId, rotated.clientSecret!, {
      authorityHost: srv.httpsUrl,
      disableInstanceDiscovery: true,
    });
    expect((await new CommunicationIdentityClient(`${srv.httpsUrl}/`, current).createUser()).communicationUserId).toMatch(/^8:acs:/);
  });
});
