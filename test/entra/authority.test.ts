import { createPrivateKey, randomUUID, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ACS_SCOPE, createSp, runCli, type CreatedSp } from "./entra-support.js";

describe("the built-in authority's documents and token endpoint refusals", () => {
  let srv: TestServer;
  let sp: CreatedSp;
  let tenant: string;
  const token = async (form: Record<string, string>, base = srv.httpsUrl, t = tenant) => {
    const res = await fetch(`${base}/${t}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    srv = await startTestServer();
    sp = await createSp(srv, "authority-app");
    tenant = sp.tenantId;
  });
  afterAll(async () => {
    await srv.close();
  });

  it("serves discovery with the issuer built from the request's host, and a JWKS with the signing key", async () => {
    for (const host of ["127.0.0.1", "localhost"]) {
      const base = srv.httpsUrl.replace("127.0.0.1", host);
      const doc = (await (await fetch(`${base}/${tenant}/v2.0/.well-known/openid-configuration`)).json()) as Record<string, string>;
      expect(doc).toMatchObject({
        issuer: `${base}/${tenant}/v2.0`,
        token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
        jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
      });
    }
    const jwks = (await (await fetch(`${srv.httpsUrl}/${tenant}/discovery/v2.0/keys`)).json()) as { keys: Array<Record<string, string>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });

  it("answers only for its own tenant and only over HTTPS", async () => {
    const other = await fetch(`${srv.httpsUrl}/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration`);
    expect(other.status).toBe(400);
    expect(await other.json()).toMatchObject({ error: "invalid_request", error_codes: [90002] });
    const plain = await token({ grant_type: "client_credentials", client_id: sp.clientId, client_secret: sp.clientSecret!, scope: ACS_SCOPE }, srv.httpUrl);
    expect(plain).toMatchObject({ status: 400, body: { error: "invalid_request", error_codes: [90010] } });
  });

  it("refuses bad token requests in the Entra error shape, never with a 5xx", async () => {
    const cases: Array<[Record<string, string>, number, string, number]> = [
      [{}, 400, "unsupported_grant_type", 70003],
      [{ grant_type: "implicit", client_id: sp.clientId }, 400, "unsupported_grant_type", 70003],
      // authorization_code is a grant now (src/idp/signin/), but only for apps registered for user sign-in.
      [{ grant_type: "authorization_code", client_id: sp.clientId }, 400, "unauthorized_client", 700054],
      [{ grant_type: "client_credentials", scope: ACS_SCOPE }, 400, "invalid_request", 900144],
      [{ grant_type: "client_credentials", client_id: sp.clientId, scope: ACS_SCOPE }, 401, "invalid_client", 7000218],
      [{ grant_type: "client_credentials", client_id: "nobody", client_secret: "x", scope: ACS_SCOPE }, 401, "invalid_client", 700016],
      [{ grant_type: "client_credentials", client_id: sp.clientId, client_secret: "x".repeat(5000), scope: ACS_SCOPE }, 401, "invalid_client", 7000215],
      [{ grant_type: "client_credentials", client_id: sp.clientId, client_secret: sp.clientSecret!, scope: "https://graph.microsoft.com/.default" }, 400, "invalid_scope", 500011],
      [{ grant_type: "client_credentials", client_id: sp.clientId, client_secret: sp.clientSecret!, scope: "https://communication.azure.com/clients/VoIP" }, 400, "invalid_scope", 1002012],
      [{ grant_type: "client_credentials", client_id: sp.clientId, client_secret: sp.clientSecret! }, 400, "invalid_scope", 90014],
      [
        { grant_type: "client_credentials", client_id: sp.clientId, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: "a.b.c", scope: ACS_SCOPE },
        401,
        "invalid_client",
        700027,
      ],
      [{ grant_type: "password", client_id: "nobody", username: "u", password: "p", scope: ACS_SCOPE }, 400, "unauthorized_client", 700016],
      [{ grant_type: "password", client_id: sp.clientId, username: "nobody", password: "p", scope: ACS_SCOPE }, 400, "invalid_grant", 50126],
    ];
    for (const [form, status, error, code] of cases) {
      const res = await token(form);
      expect({ form, status: res.status, error: res.body.error, codes: res.body.error_codes }).toEqual({ form, status, error, codes: [code] });
      expect(String(res.body.error_description)).toMatch(new RegExp(`^AADSTS${code}: `));
    }
  });

  it("verifies client assertions by the registered certificate: RS256 with x5t, PS256 with x5t#S256; audience, time and subject checked", async () => {
    const certSp = await createSp(srv, "assertion-app", ["--cert"]);
    const pem = readFileSync(certSp.certificatePath!, "utf8");
    const key = createPrivateKey(pem);
    const cert = new X509Certificate(pem);
    const thumb = (hex: string) => Buffer.from(hex.replaceAll(":", ""), "hex").toString("base64url");
    const endpoint = `${srv.httpsUrl}/${tenant}/oauth2/v2.0/token`;
    const now = Math.floor(Date.now() / 1000);
    const assertion = (header: Record<string, string>, claims: Record<string, unknown> = {}) =>
      new SignJWT({ aud: endpoint, iss: certSp.clientId, sub: certSp.clientId, jti: randomUUID(), nbf: now, exp: now + 600, ...claims })
        .setProtectedHeader(header as never)
        .sign(key);
    const send = async (clientAssertion: string) =>
      token({
        grant_type: "client_credentials",
        client_id: certSp.clientId,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: clientAssertion,
        scope: ACS_SCOPE,
      });
    expect((await send(await assertion({ alg: "RS256", x5t: thumb(cert.fingerprint) }))).status).toBe(200);
    expect((await send(await assertion({ alg: "PS256", "x5t#S256": thumb(cert.fingerprint256) }))).status).toBe(200);
    const refused: Array<[string, number]> = [
      [await assertion({ alg: "RS256", x5t: "AAAA" }), 700027],
      [await assertion({ alg: "RS256" }), 700027],
      [await assertion({ alg: "RS256", x5t: thumb(cert.fingerprint) }, { aud: "https://elsewhere.example.com/token" }), 700026],
      [await assertion({ alg: "RS256", x5t: thumb(cert.fingerprint) }, { exp: now - 600, nbf: now - 1200 }), 700024],
      [await assertion({ alg: "RS256", x5t: thumb(cert.fingerprint) }, { sub: "someone-else" }), 700021],
      [await assertion({ alg: "RS256", x5t: thumb(cert.fingerprint) }, { iss: "someone-else" }), 700027],
    ];
    for (const [clientAssertion, code] of refused) {
      expect(await send(clientAssertion)).toMatchObject({ status: 401, body: { error: "invalid_client", error_codes: [code] } });
    }
  });

  it("sp create without --json prints the credentials and the four AZURE_* lines as export lines", async () => {
    const out = await runCli(srv, ["sp", "create", "--name", "text-output", "--authority-host", srv.httpsUrl]);
    const exports = out.split("\n").filter((l) => l.startsWith("export AZURE_"));
    expect(exports).toHaveLength(4);
    const env = exports.map((l) => l.slice("export ".length).replace(/='(.*)'$/, "=$1"));
    expect(env.map((l) => l.split("=")[0])).toEqual(["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST"]);
    expect(env[0]).toBe(`AZURE_TENANT_ID=${tenant}`);
    expect(env[3]).toBe(`AZURE_AUTHORITY_HOST=${srv.httpsUrl}`);
    const secret = env[2]!.slice("AZURE_CLIENT_SECRET=".length);
    const clientId = env[1]!.slice("AZURE_CLIENT_ID=".length);
    expect(await token({ grant_type: "client_credentials", client_id: clientId, client_secret: secret, scope: ACS_SCOPE })).toMatchObject({ status: 200 });
  });

  it("sp secret add/remove rotates secrets without downtime; sp list shows ids, never values", async () => {
    const rotating = await createSp(srv, "rotating");
    const added = JSON.parse(await runCli(srv, ["sp", "secret", "add", rotating.clientId, "--json"]));
    const form = (secret: string) => ({ grant_type: "client_credentials", client_id: rotating.clientId, client_secret: secret, scope: ACS_SCOPE });
    expect((await token(form(rotating.clientSecret!))).status).toBe(200);
    expect((await token(form(added.clientSecret))).status).toBe(200);
    const firstId = rotating.clientSecret!.split("~")[0]!;
    await runCli(srv, ["sp", "secret", "remove", rotating.clientId, firstId]);
    expect(await token(form(rotating.clientSecret!))).toMatchObject({ status: 401, body: { error_codes: [7000215] } });
    expect((await token(form(added.clientSecret))).status).toBe(200);
    const listed = await runCli(srv, ["sp", "list", "--json"]);
    const entry = (JSON.parse(listed) as Array<Record<string, any>>).find((p) => p.clientId === rotating.clientId)!;
    expect(entry.secrets.map((s: { id: string }) => s.id)).toEqual([added.secretId]);
    expect(listed).not.toContain(added.clientSecret);
  });
});
