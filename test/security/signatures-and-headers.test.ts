import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../src/auth/hmac/hmac-signature.js";
import { hasHighSEs256Signature, normalizeEs256Signature } from "../../src/security/ecdsa.js";
import { parseRfc1123 } from "../../src/security/request-guards.js";
import { backendNames } from "../support/backends.js";
import type { TestServer } from "../support/test-server.js";
import { accessKey, API, CHAT_API, expectAcsError, newUser, rawHttp, rawRequest, startServer } from "./support.js";

const P256_N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

/** The malleated twin of an ES256 token: (r, n − s). */
function flipS(token: string): string {
  const [h, p, sig] = token.split(".");
  const bytes = Buffer.from(sig!, "base64url");
  const s = BigInt(`0x${bytes.subarray(32).toString("hex")}`);
  const flipped = Buffer.from((P256_N - s).toString(16).padStart(64, "0"), "hex");
  return `${h}.${p}.${Buffer.concat([bytes.subarray(0, 32), flipped]).toString("base64url")}`;
}

describe("RFC 1123 dates (flaw 8)", () => {
  it("accepts exactly the SDK's form and refuses the rest", () => {
    expect(parseRfc1123("Sun, 06 Nov 1994 08:49:37 GMT")).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
    for (const bad of [
      "1994-11-06T08:49:37Z",
      "Sunday, 06-Nov-94 08:49:37 GMT",
      "Sun Nov  6 08:49:37 1994",
      "Sun, 06 Nov 1994 08:49:37 +0000",
      "Mon, 06 Nov 1994 08:49:37 GMT",
      "Sun, 31 Feb 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 24:49:37 GMT",
      "6 Nov 1994 08:49:37 GMT",
    ]) {
      expect(parseRfc1123(bad), bad).toBeNaN();
    }
  });
});

describe("ES256 normalisation (flaw 7)", () => {
  it("turns a high s into n − s and leaves a low s alone", () => {
    const low = Buffer.alloc(64, 1);
    expect(normalizeEs256Signature(low)).toEqual(low);
    const high = Buffer.concat([Buffer.alloc(32, 1), Buffer.from((P256_N - 5n).toString(16).padStart(64, "0"), "hex")]);
    const normal = normalizeEs256Signature(high);
    expect(BigInt(`0x${normal.subarray(32).toString("hex")}`)).toBe(5n);
  });
});

describe.each(backendNames)("signatures and credential headers (%s)", (backend) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer(backend);
  });
  afterAll(async () => {
    await srv.close();
  });

  it("flaw 7: our tokens are low-s, and the high-s twin of a valid user token is refused", async () => {
    for (let i = 0; i < 8; i++) {
      const { token } = await newUser(srv, ["chat"]);
      expect(hasHighSEs256Signature(token)).toBe(false);
      const ok = await rawRequest(`${srv.httpsUrl}/chat/threads?${CHAT_API}`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      const twin = flipS(token);
      expect(hasHighSEs256Signature(twin)).toBe(true);
      const refused = await rawRequest(`${srv.httpsUrl}/chat/threads?${CHAT_API}`, { headers: { authorization: `Bearer ${twin}` } });
      expectAcsError(refused, 401, "InvalidToken");
    }
  });

  it("flaw 8: a repeated Authorization header is refused, whichever copy is good", async () => {
    const url = new URL(`${srv.httpUrl}/identities?${API}`);
    const good = signRequest({ method: "POST", url, body: "", accessKey: accessKey(srv) });
    for (const pair of [
      [good.authorization, "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=AAAA"],
      ["HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=AAAA", good.authorization],
    ]) {
      const res = await rawRequest(url.href, {
        method: "POST",
        headers: { "x-ms-date": good["x-ms-date"], "x-ms-content-sha256": good["x-ms-content-sha256"], authorization: pair as string[] },
      });
      expectAcsError(res, 400, "DuplicateHeader");
    }
    const single = await rawRequest(url.href, { method: "POST", headers: good });
    expect(single.status).toBe(201);
  });

  it("flaw 8: repeated x-ms-date, x-ms-content-sha256 or Host are refused", async () => {
    const url = new URL(`${srv.httpUrl}/identities?${API}`);
    const good = signRequest({ method: "POST", url, body: "", accessKey: accessKey(srv) });
    for (const name of ["x-ms-date", "x-ms-content-sha256", "host"]) {
      const lines = [`host: ${url.host}`, ...Object.entries(good).map(([k, v]) => `${k}: ${v}`)];
      lines.push(name === "host" ? `Host: ${url.host}` : `${name}: ${good[name]!}`);
      const res = await rawHttp(url.href, `POST ${url.pathname}${url.search} HTTP/1.1\r\n${lines.join("\r\n")}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
      expect(res.status, name).toBe(400);
      expect(JSON.parse(res.text).error.code).toBe("DuplicateHeader");
    }
  });

  it("flaw 8: an x-ms-date that is not RFC 1123 is refused even when signed", async () => {
    const url = new URL(`${srv.httpUrl}/identities?${API}`);
    const date = new Date();
    const good = signRequest({ method: "POST", url, body: "", accessKey: accessKey(srv), date });
    // Sign the ISO form: a correct signature over a date Date.parse would take.
    const { buildStringToSign, computeHmacSignature } = await import("../../src/auth/hmac/hmac-signature.js");
    const iso = date.toISOString();
    const sts = buildStringToSign("POST", `${url.pathname}${url.search}`, iso, url.host, good["x-ms-content-sha256"]!);
    const sig = computeHmacSignature(Buffer.from(accessKey(srv), "base64"), sts);
    const res = await rawRequest(url.href, {
      method: "POST",
      headers: { ...good, "x-ms-date": iso, authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${sig}` },
    });
    expectAcsError(res, 401, "InvalidDateHeader");
  });
});
