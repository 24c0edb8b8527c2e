import http from "node:http";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../src/auth/hmac/hmac-signature.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/** A signed request with an explicit Host header (fetch does not let a caller choose Host). */
function requestWithHost(port: number, host: string, accessKey: string, method: string, pathAndQuery: string, body = ""): Promise<{ status: number; body: any }> {
  const headers = signRequest({ method, url: new URL(`http://${host}${pathAndQuery}`), body, accessKey });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path: pathAndQuery, headers: { ...headers, host, "content-type": "application/json" } }, (res) => {
      let data = "";
      res.on("data", (d) => (data += d));
      res.on("end", () => resolve({ status: res.statusCode!, body: data === "" ? undefined : JSON.parse(data) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("resources are told apart by the Host header", () => {
  let srv: TestServer;
  let port: number;
  beforeAll(async () => {
    srv = await startTestServer();
    port = Number(new URL(srv.httpUrl).port);
  });
  afterAll(async () => {
    await srv.close();
  });

  it("each resource accepts only its own keys and creates identities in itself; unknown hosts get the default", async () => {
    const other = await srv.server.core.resources.create("contoso", ["contoso.localhost"]);
    await srv.server.core.registry.settled();
    const dflt = srv.currentResource();

    const mine = await requestWithHost(port, "contoso.localhost", other.keys.primary.value, "POST", "/identities?api-version=2023-10-01");
    expect(mine.status).toBe(201);
    expect(mine.body.identity.id).toMatch(new RegExp(`^8:acs:${other.id}_`));

    const wrongKey = await requestWithHost(port, "contoso.localhost", dflt.keys.primary.value, "POST", "/identities?api-version=2023-10-01");
    expect(wrongKey).toMatchObject({ status: 401, body: { error: { code: "InvalidSignature" } } });

    const unknownHost = await requestWithHost(port, "somewhere.else:1234", dflt.keys.primary.value, "POST", "/identities?api-version=2023-10-01");
    expect(unknownHost.status).toBe(201);
    expect(unknownHost.body.identity.id).toMatch(new RegExp(`^8:acs:${dflt.id}_`));

    // The default resource cannot act on contoso's identity (401 as in ACS, from the id alone: not a leak), and vice versa.
    const id = encodeURIComponent(mine.body.identity.id);
    const cross = await requestWithHost(port, "127.0.0.1", dflt.keys.primary.value, "POST", `/identities/${id}/:issueAccessToken?api-version=2023-10-01`, '{"scopes":["chat"]}');
    expect(cross).toMatchObject({ status: 401, body: { error: { code: "IdentityNotOwned" } } });
  });
});

describe("--in-memory", () => {
  it("keeps nothing on disk", async () => {
    const srv = await startTestServer({ config: { inMemory: true } });
    try {
      expect(srv.server.core.store.dialect).toBe("sqlite");
      const res = await fetch(`${srv.httpUrl}/health/ready`);
      expect(res.status).toBe(200);
      expect(existsSync(path.join(srv.dataDir, "switchboard.db"))).toBe(false);
      // The activity record stays in memory too.
      expect(existsSync(path.join(srv.dataDir, "activity.db"))).toBe(false);
    } finally {
      await srv.close();
    }
  });
});
