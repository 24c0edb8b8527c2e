import { createSecretKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { HmacAuthenticator } from "../../src/auth/hmac/hmac-authenticator.js";
import { buildStringToSign, computeHmacSignature, signRequest } from "../../src/auth/hmac/hmac-signature.js";
import type { Resource } from "../../src/resources/resource.js";
import { createFixedClock } from "../../src/util/clock.js";

// Test vectors from docs/wire-reference.md §3, produced by the real SDK policy with a frozen clock.
const KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const DATE = "Tue, 02 Jan 2024 03:04:05 GMT";
const EMPTY_HASH = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

const vectors = [
  {
    name: "createUser on the default https port",
    method: "POST",
    rawUrl: "/identities?api-version=2023-10-01",
    host: "contoso.communication.azure.com",
    hash: EMPTY_HASH,
    stringToSign: `POST\n/identities?api-version=2023-10-01\n${DATE};contoso.communication.azure.com;${EMPTY_HASH}`,
    signature: "yTU94fH3TnVY0UvhFggyx5UgXsTVh8DOVdSwEXK9lms=",
  },
  {
    name: "issueAccessToken with an encoded id and a body",
    method: "POST",
    rawUrl: "/identities/8%3Aacs%3Aabc_def/:issueAccessToken?api-version=2023-10-01",
    host: "localhost:8080",
    hash: "EqW/vFkRi/EMVlRLG6+kt0X27SowO7NytIh/miHOZlY=",
    stringToSign: `POST\n/identities/8%3Aacs%3Aabc_def/:issueAccessToken?api-version=2023-10-01\n${DATE};localhost:8080;EqW/vFkRi/EMVlRLG6+kt0X27SowO7NytIh/miHOZlY=`,
    signature: "5SVU2CrbOdhCOAssJzKjf93SvOAkhkuYMKqXJuyhwRU=",
  },
  {
    name: "GET with a query the SDK re-serialises (space as %20 on the wire, + when signed)",
    method: "GET",
    rawUrl: "/availablePhoneNumbers/countries/US/localities?skip=0&maxPageSize=100&administrativeDivision=New%20York&api-version=2025-06-01",
    host: "127.0.0.1:8080",
    hash: EMPTY_HASH,
    stringToSign: `GET\n/availablePhoneNumbers/countries/US/localities?skip=0&maxPageSize=100&administrativeDivision=New+York&api-version=2025-06-01\n${DATE};127.0.0.1:8080;${EMPTY_HASH}`,
    signature: "SXoW0wf8z8rYrvZc7TAKlVBL4TYQEY7z4P8KF+JSI8Q=",
  },
];

describe("HMAC string-to-sign and signature (docs/wire-reference.md §3 test vectors)", () => {
  it.each(vectors)("$name", (v) => {
    const sts = buildStringToSign(v.method, v.rawUrl, DATE, v.host, v.hash);
    expect(sts).toBe(v.stringToSign);
    expect(computeHmacSignature(Buffer.from(KEY, "base64"), sts)).toBe(v.signature);
  });

  it("the body hash of the second vector is the SHA-256 of its JSON body", () => {
    const headers = signRequest({
      method: "POST",
      url: new URL("http://localhost:8080/identities/8%3Aacs%3Aabc_def/:issueAccessToken?api-version=2023-10-01"),
      body: '{"scopes":["chat","voip"]}',
      accessKey: KEY,
      date: new Date(DATE),
    });
    expect(headers["x-ms-content-sha256"]).toBe("EqW/vFkRi/EMVlRLG6+kt0X27SowO7NytIh/miHOZlY=");
    expect(headers.authorization).toBe(
      "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=5SVU2CrbOdhCOAssJzKjf93SvOAkhkuYMKqXJuyhwRU=",
    );
  });
});

function resourceWith(primary: string, secondary: string): Resource {
  const key = (name: "primary" | "secondary", value: string) => ({ name, value, hmacKey: createSecretKey(Buffer.from(value, "base64")), id: `${name}-id` });
  return { id: "r1", name: "r", hostnames: [], isDefault: true, createdAt: 0, resourceGroup: "rg", dataLocation: "United States", tags: {}, linkedDomains: [], notificationHub: null, port: null, updatedAt: 0, keys: { primary: key("primary", primary), secondary: key("secondary", secondary) } };
}

describe("HmacAuthenticator", () => {
  const OTHER = Buffer.alloc(32, 7).toString("base64");
  const clock = createFixedClock(Date.parse(DATE));
  const auth = new HmacAuthenticator(clock);
  const v = vectors[1]!;
  const body = Buffer.from('{"scopes":["chat","voip"]}');
  const good = () => ({
    method: "POST",
    rawUrl: v.rawUrl,
    rawBody: body,
    resource: resourceWith(KEY, OTHER),
    headers: {
      host: v.host,
      "x-ms-date": DATE,
      "x-ms-content-sha256": v.hash,
      authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${v.signature}`,
    } as Record<string, string>,
  });

  it("accepts the SDK's request with the primary key", () => {
    expect(auth.authenticate(good())).toEqual({ kind: "ok", principal: { kind: "access-key", resourceId: "r1", keyName: "primary", keyId: "primary-id" } });
  });

  it("accepts the secondary key too (rotation without downtime)", () => {
    const req = good();
    req.resource = resourceWith(OTHER, KEY);
    expect(auth.authenticate(req)).toMatchObject({ kind: "ok", principal: { keyName: "secondary" } });
  });

  it("falls back to the Date header when x-ms-date is absent", () => {
    const req = good();
    delete req.headers["x-ms-date"];
    req.headers.date = DATE;
    expect(auth.authenticate(req)).toMatchObject({ kind: "ok" });
  });

  it("leaves Bearer and missing credentials to other authenticators", () => {
    const req = good();
    req.headers.authorization = "Bearer abc";
    expect(auth.authenticate(req)).toEqual({ kind: "not-mine" });
    delete req.headers.authorization;
    expect(auth.authenticate(req)).toEqual({ kind: "not-mine" });
  });

  const failures: Array<[string, (r: ReturnType<typeof good>) => void, string]> = [
    ["malformed header", (r) => (r.headers.authorization = "HMAC-SHA256 Signature=abc"), "InvalidAuthorizationHeader"],
    ["other signed headers", (r) => (r.headers.authorization = r.headers.authorization!.replace("x-ms-date;host", "host;x-ms-date")), "UnsupportedSignedHeaders"],
    ["no date", (r) => delete r.headers["x-ms-date"], "MissingDateHeader"],
    ["unparseable date", (r) => (r.headers["x-ms-date"] = "yesterday"), "InvalidDateHeader"],
    ["no content hash", (r) => delete r.headers["x-ms-content-sha256"], "MissingContentHash"],
    ["tampered body", (r) => (r.rawBody = Buffer.from('{"scopes":["voip","chat"]}')), "ContentHashMismatch"],
    ["wrong key", (r) => (r.resource = resourceWith(OTHER, OTHER)), "InvalidSignature"],
    ["other host", (r) => (r.headers.host = "localhost:8081"), "InvalidSignature"],
    ["other path", (r) => (r.rawUrl = r.rawUrl.replace("abc_def", "abc_deg")), "InvalidSignature"],
    ["other method", (r) => (r.method = "PUT"), "InvalidSignature"],
  ];
  it.each(failures)("refuses %s", (_name, mutate, code) => {
    const req = good();
    mutate(req);
    expect(auth.authenticate(req)).toMatchObject({ kind: "fail", code });
  });

  it("refuses a date more than 15 minutes away, either side, and accepts 14 minutes", () => {
    for (const [offset, ok] of [
      [16 * 60_000, false],
      [-16 * 60_000, false],
      [14 * 60_000, true],
      [-14 * 60_000, true],
    ] as const) {
      const skewed = new HmacAuthenticator(createFixedClock(Date.parse(DATE) + offset));
      expect(skewed.authenticate(good())).toMatchObject(ok ? { kind: "ok" } : { kind: "fail", code: "RequestDateOutOfRange" });
    }
  });
});
