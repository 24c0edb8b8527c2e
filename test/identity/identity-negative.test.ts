import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedFetch } from "../support/signed-fetch.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.close();
});

const WRONG_KEY = Buffer.alloc(32, 9).toString("base64");
const noRetry = { retryOptions: { maxRetries: 0 } };
const sdk = () => new CommunicationIdentityClient(srv.connectionString("http"), { allowInsecureConnection: true, ...noRetry });

describe("Identity API refusals through the SDK", () => {
  it("wrong access key: 401 InvalidSignature", async () => {
    const client = new CommunicationIdentityClient(`endpoint=${srv.httpUrl}/;accesskey=${WRONG_KEY}`, { allowInsecureConnection: true, ...noRetry });
    await expect(client.createUser()).rejects.toMatchObject({ statusCode: 401, code: "InvalidSignature" });
  });

  it.each([[["bogus"]], [["chat", "Chat"]]])("scopes %j: 400 InvalidScope", async (scopes) => {
    await expect(sdk().createUserAndToken(scopes as never)).rejects.toMatchObject({ statusCode: 400, code: "InvalidScope" });
    const user = await sdk().createUser();
    await expect(sdk().getToken(user, scopes as never)).rejects.toMatchObject({ statusCode: 400, code: "InvalidScope" });
  });

  it.each([30, 59, 1441, 2000])("lifetime %i minutes: 400 InvalidTokenLifetime", async (minutes) => {
    await expect(sdk().createUserAndToken(["chat"], { tokenExpiresInMinutes: minutes })).rejects.toMatchObject({
      statusCode: 400,
      code: "InvalidTokenLifetime",
    });
    const user = await sdk().createUser();
    await expect(sdk().getToken(user, ["chat"], { tokenExpiresInMinutes: minutes })).rejects.toMatchObject({ statusCode: 400, code: "InvalidTokenLifetime" });
  });

  it("accepts the lifetime bounds 60 and 1440", async () => {
    const user = await sdk().createUser();
    for (const minutes of [60, 1440]) {
      const t = await sdk().getToken(user, ["voip"], { tokenExpiresInMinutes: minutes });
      const claims = JSON.parse(Buffer.from(t.token.split(".")[1]!, "base64url").toString());
      expect(claims.exp - claims.iat).toBe(minutes * 60);
    }
  });

  it("unknown identity of this resource: 404 for token, revoke and delete", async () => {
    const unknown = { communicationUserId: `8:acs:${srv.resource.id}_00000000-0000-4000-8000-000000000000` };
    await expect(sdk().getToken(unknown, ["chat"])).rejects.toMatchObject({ statusCode: 404, code: "IdentityNotFound" });
    await expect(sdk().revokeTokens(unknown)).rejects.toMatchObject({ statusCode: 404, code: "IdentityNotFound" });
    await expect(sdk().deleteUser(unknown)).rejects.toMatchObject({ statusCode: 404, code: "IdentityNotFound" });
  });

  it("another resource's identity: 401 IdentityNotOwned as in ACS, decided by the id alone (existence does not leak)", async () => {
    const foreign = { communicationUserId: "8:acs:11111111-2222-4333-8444-555555555555_00000000-0000-4000-8000-000000000000" };
    await expect(sdk().getToken(foreign, ["chat"])).rejects.toMatchObject({ statusCode: 401, code: "IdentityNotOwned" });
  });

  it.each(["not-an-id", "8:acs:abc", "8:orgid:123", "8:acs:" + "x".repeat(300)])("malformed id %s: 400 InvalidIdentifier", async (id) => {
    await expect(sdk().getToken({ communicationUserId: id }, ["chat"])).rejects.toMatchObject({ statusCode: 400, code: "InvalidIdentifier" });
  });
});

describe("Identity API refusals the SDK cannot produce (hand-signed requests)", () => {
  const url = () => `${srv.httpUrl}/identities?api-version=2023-10-01`;
  const key = () => srv.currentResource().keys.primary.value;

  it("no Authorization header: 401 MissingAuthorization", async () => {
    const res = await fetch(url(), { method: "POST" });
    expect(res.status).toBe(401);
    expect((await res.json()) as unknown).toEqual({ error: { code: "MissingAuthorization", message: expect.any(String) } });
    expect(res.headers.get("x-ms-error-code")).toBe("MissingAuthorization");
  });

  it("unknown scheme: 401 UnsupportedAuthorizationScheme", async () => {
    const res = await fetch(url(), { method: "POST", headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("UnsupportedAuthorizationScheme");
  });

  it("malformed HMAC header: 401 InvalidAuthorizationHeader", async () => {
    const res = await signedFetch(url(), { method: "POST", accessKey: key(), tamper: (h) => (h.authorization = "HMAC-SHA256 garbage") });
    expect(res).toMatchObject({ status: 401, body: { error: { code: "InvalidAuthorizationHeader" } } });
  });

  it("tampered body: 401 ContentHashMismatch, and nothing is created", async () => {
    const before = await srv.server.core.store.db.selectFrom("identities").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
    const signedBody = JSON.stringify({ createTokenWithScopes: ["chat"] });
    const res = await fetch(url(), {
      method: "POST",
      body: JSON.stringify({ createTokenWithScopes: ["voip"] }),
      headers: { "content-type": "application/json", ...(await import("../../src/auth/hmac/hmac-signature.js")).signRequest({ method: "POST", url: new URL(url()), body: signedBody, accessKey: key() }) },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("ContentHashMismatch");
    const after = await srv.server.core.store.db.selectFrom("identities").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it("stale date (20 minutes old): 401 RequestDateOutOfRange", async () => {
    const res = await signedFetch(url(), { method: "POST", accessKey: key(), date: new Date(Date.now() - 20 * 60_000) });
    expect(res).toMatchObject({ status: 401, body: { error: { code: "RequestDateOutOfRange" } } });
  });

  it("signature with the secondary key works; a signature over another path does not", async () => {
    const ok = await signedFetch(url(), { method: "POST", accessKey: srv.currentResource().keys.secondary.value });
    expect(ok.status).toBe(201);
    const bad = await signedFetch(url(), {
      method: "POST",
      accessKey: key(),
      tamper: (h) => {
        h.authorization = h.authorization!.replace(/Signature=.*/, "Signature=" + Buffer.alloc(32).toString("base64"));
      },
    });
    expect(bad).toMatchObject({ status: 401, body: { error: { code: "InvalidSignature" } } });
  });

  it("missing api-version: 400 MissingApiVersion", async () => {
    const res = await signedFetch(`${srv.httpUrl}/identities`, { method: "POST", accessKey: key() });
    expect(res).toMatchObject({ status: 400, body: { error: { code: "MissingApiVersion" } } });
  });

  it("accepts any api-version the SDK releases send (and a duplicated one)", async () => {
    for (const v of ["2021-03-07", "2022-10-01", "2023-10-01", "2025-06-30", "2023-10-01&api-version=2023-10-01"]) {
      const res = await signedFetch(`${srv.httpUrl}/identities?api-version=${v}`, { method: "POST", accessKey: key() });
      expect(res.status).toBe(201);
    }
  });

  it("malformed JSON: 400 InvalidJson", async () => {
    const res = await signedFetch(url(), { method: "POST", accessKey: key(), body: '{"createTokenWithScopes": [' });
    expect(res).toMatchObject({ status: 400, body: { error: { code: "InvalidJson" } } });
  });

  it("wrong JSON shape: 400 with a code, never 500", async () => {
    for (const body of ["[]", '"x"', "42", '{"createTokenWithScopes":"chat"}', '{"createTokenWithScopes":["chat"],"expiresInMinutes":"60"}', '{"expiresInMinutes":60}']) {
      const res = await signedFetch(url(), { method: "POST", accessKey: key(), body });
      expect(res.status, body).toBe(400);
      expect(res.body.error.code, body).toMatch(/^(InvalidRequestBody|InvalidScope|InvalidTokenLifetime)$/);
    }
    const issue = await signedFetch(`${srv.httpUrl}/identities/${encodeURIComponent((await sdk().createUser()).communicationUserId)}/:issueAccessToken?api-version=2023-10-01`, {
      method: "POST",
      accessKey: key(),
      body: "{}",
    });
    // No scopes at all: ACS's ValidationError (recorded), not InvalidScope.
    expect(issue).toMatchObject({ status: 400, body: { error: { code: "ValidationError", message: "Invalid scopes - Scopes field is required.", target: "scopes" } } });
  });

  it("non-JSON content type: 415", async () => {
    const res = await signedFetch(url(), { method: "POST", accessKey: key(), body: "a=b", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(res).toMatchObject({ status: 415, body: { error: { code: "UnsupportedMediaType" } } });
  });

  it("unknown path: 404 NotFound in the ACS shape", async () => {
    const res = await signedFetch(`${srv.httpUrl}/nothing-here?api-version=1`, { accessKey: key() });
    expect(res).toMatchObject({ status: 404, body: { error: { code: "NotFound" } } });
  });
});

describe("malformed URLs", () => {
  it("a broken percent-encoding gets a 400 in the ACS shape", async () => {
    for (const path of ["/identities/%ZZ?api-version=1", "/phoneNumbers/%E0%A4%A?api-version=1"]) {
      const res = await fetch(`${srv.httpUrl}${path}`, { method: "DELETE" });
      expect(res.status, path).toBe(400);
      expect(res.headers.get("x-ms-error-code")).toBe("InvalidRequestUrl");
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("InvalidRequestUrl");
    }
  });
});
