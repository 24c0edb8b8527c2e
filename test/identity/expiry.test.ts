import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixedClock } from "../../src/util/clock.js";
import { introspect } from "../support/introspect.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

describe("token expiry and signing-key rotation (frozen clock)", () => {
  // HMAC checks x-ms-date against the server clock, so the frozen clock starts at the real time.
  const clock = createFixedClock(Date.now());
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ clock });
  });
  afterAll(async () => {
    await srv.close();
  });
  const client = () => new CommunicationIdentityClient(srv.connectionString("http"), { allowInsecureConnection: true });

  it("a token is active until exp and inactive from then on", async () => {
    const { token } = await client().createUserAndToken(["chat"], { tokenExpiresInMinutes: 60 });
    clock.advance(59 * 60_000);
    expect((await introspect(srv, token, { date: new Date(clock.now()) })).active).toBe(true);
    clock.advance(61_000);
    expect((await introspect(srv, token, { date: new Date(clock.now()) })).active).toBe(false);
    clock.set(Date.now());
  });

  it("after rotation the new key signs, the old key keeps verifying its tokens, and leaves the JWKS a day later", async () => {
    const ring = srv.server.core.keyRing;
    const oldKid = ring.activeKid;
    const { token: oldToken } = await client().createUserAndToken(["chat"]);
    const newKid = await ring.rotate();
    expect(newKid).not.toBe(oldKid);
    const { token: newToken } = await client().createUserAndToken(["chat"]);
    const kidOf = (t: string) => JSON.parse(Buffer.from(t.split(".")[0]!, "base64url").toString()).kid;
    expect(kidOf(oldToken)).toBe(oldKid);
    expect(kidOf(newToken)).toBe(newKid);

    const jwks = (await (await fetch(`${srv.httpsUrl}/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, unknown> & { kid: string }> };
    expect(jwks.keys.map((k: { kid: string }) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    for (const k of jwks.keys) {
      expect(k).not.toHaveProperty("d");
      expect(k).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    }
    expect((await introspect(srv, oldToken, { date: new Date(clock.now()) })).active).toBe(true);

    clock.advance(24 * 60 * 60_000 + 1000);
    const later = (await (await fetch(`${srv.httpsUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(later.keys.map((k: { kid: string }) => k.kid)).toEqual([newKid]);
    clock.set(Date.now());
  });
});
