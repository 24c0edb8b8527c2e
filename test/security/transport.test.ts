import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import type { TestServer } from "../support/test-server.js";
import { createSp, runCli } from "../entra/entra-support.js";
import { accessKey, API, CHAT_API, expectAcsError, newUser, rawRequest, startServer } from "./support.js";

async function entraToken(srv: TestServer): Promise<string> {
  const sp = await createSp(srv, `transport-${Math.random().toString(36).slice(2)}`);
  await runCli(srv, ["role", "assign", "--principal", sp.clientId, "--role", "Contributor"]);
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: sp.clientId,
    client_secret: sp.clientSecret!,
    scope: "https://communication.azure.com//.default",
  });
  const res = await rawRequest(`${srv.httpsUrl}/${sp.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${res.text}`);
  return res.body.access_token;
}

/** Flaw 4: bearer credentials are refused on the plain HTTP listener unless a trusted proxy terminated TLS. */
describe.each(backendNames)("bearer credentials and plain HTTP (%s)", (backend) => {
  let srv: TestServer;
  let proxied: TestServer;
  let untrusting: TestServer;
  beforeAll(async () => {
    [srv, proxied, untrusting] = await Promise.all([
      startServer(backend),
      startServer(backend, { config: { trustedProxies: ["127.0.0.1", "::1"] } }),
      startServer(backend, { config: { trustedProxies: ["10.9.8.7"] } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([srv?.close(), proxied?.close(), untrusting?.close()]);
  });

  it("a user token reads chat over HTTPS and is refused over HTTP", async () => {
    const { token } = await newUser(srv, ["chat"]);
    const headers = { authorization: `Bearer ${token}` };
    expect((await rawRequest(`${srv.httpsUrl}/chat/threads?${CHAT_API}`, { headers })).status).toBe(200);
    expectAcsError(await rawRequest(`${srv.httpUrl}/chat/threads?${CHAT_API}`, { headers }), 401, "BearerRequiresHttps");
  });

  it("an Entra token creates identities over HTTPS and is refused over HTTP; HMAC still works over HTTP", async () => {
    const token = await entraToken(srv);
    const headers = { authorization: `Bearer ${token}` };
    expect((await rawRequest(`${srv.httpsUrl}/identities?${API}`, { method: "POST", headers })).status).toBe(201);
    expectAcsError(await rawRequest(`${srv.httpUrl}/identities?${API}`, { method: "POST", headers }), 401, "BearerRequiresHttps");
    expect((await signedFetch(`${srv.httpUrl}/identities?${API}`, { method: "POST", accessKey: accessKey(srv) })).status).toBe(201);
  });

  it("the Entra user exchange is refused over HTTP", async () => {
    const res = await rawRequest(`${srv.httpUrl}/access/entra/:exchangeAccessToken?${API}`, {
      method: "POST",
      headers: { authorization: "Bearer x.y.z", "content-type": "application/json" },
      body: "{}",
    });
    expectAcsError(res, 401, "BearerRequiresHttps");
  });

  it("behind a configured proxy, X-Forwarded-Proto: https from that proxy is believed; from anyone else it is not", async () => {
    const { token } = await newUser(proxied, ["chat"]);
    const ok = await rawRequest(`${proxied.httpUrl}/chat/threads?${CHAT_API}`, { headers: { authorization: `Bearer ${token}`, "x-forwarded-proto": "https" } });
    expect(ok.status).toBe(200);
    const plain = await rawRequest(`${proxied.httpUrl}/chat/threads?${CHAT_API}`, { headers: { authorization: `Bearer ${token}`, "x-forwarded-proto": "http" } });
    expectAcsError(plain, 401, "BearerRequiresHttps");

    const { token: other } = await newUser(untrusting, ["chat"]);
    const spoofed = await rawRequest(`${untrusting.httpUrl}/chat/threads?${CHAT_API}`, { headers: { authorization: `Bearer ${other}`, "x-forwarded-proto": "https" } });
    expectAcsError(spoofed, 401, "BearerRequiresHttps");
  });
});
