import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scanLogs } from "../support/secret-scan.js";
import { signedFetch } from "../support/signed-fetch.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

describe("no secret reaches the request log", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ config: { log: { level: "trace" } } });
  });
  afterAll(async () => {
    await srv.close();
  });

  it("after every Identity operation, failures included, the log holds no key, token, signature or string-to-sign", async () => {
    const secrets: string[] = [];
    const resource = srv.currentResource();
    secrets.push(resource.keys.primary.value, resource.keys.secondary.value);
    const client = new CommunicationIdentityClient(srv.connectionString("https"));
    const { user, token } = await client.createUserAndToken(["chat", "voip"]);
    secrets.push(token);
    const t2 = await client.getToken(user, ["chat"]);
    secrets.push(t2.token);
    await client.revokeTokens(user);
    await client.deleteUser(user);
    const url = `${srv.httpUrl}/tokens/:introspect?api-version=1`;
    const intro = await signedFetch(url, { method: "POST", accessKey: resource.keys.primary.value, body: { token } });
    expect(intro.status).toBe(200);
    // Failures: a wrong key (its signature and string-to-sign must not be logged either), malformed input.
    const wrongKey = Buffer.alloc(32, 3).toString("base64");
    secrets.push(wrongKey);
    const denied = await signedFetch(`${srv.httpUrl}/identities?api-version=1`, { method: "POST", accessKey: wrongKey });
    expect(denied.status).toBe(401);
    const bad = await signedFetch(`${srv.httpUrl}/identities?api-version=1`, { method: "POST", accessKey: resource.keys.primary.value, body: "{not json" });
    expect(bad.status).toBe(400);
    const sig = /Signature=(.+)$/.exec((await import("../../src/auth/hmac/hmac-signature.js")).signRequest({ method: "POST", url: new URL(`${srv.httpUrl}/identities?api-version=1`), body: "", accessKey: wrongKey }).authorization)![1]!;
    secrets.push(sig);

    const log = srv.readLog();
    // The log did record these requests (so the scan below is meaningful) ...
    expect(log).toContain('"op":"identity.create"');
    expect(log).toContain('"code":"InvalidSignature"');
    expect(log).toContain('"op":"identity.introspectToken"');
    // ... and holds none of the secrets.
    expect(scanLogs([srv.logFile], secrets.filter((s) => s.length >= 16))).toEqual([]);
    for (const s of secrets) expect(log.includes(s), `secret of length ${s.length} in log`).toBe(false);
  });
});
