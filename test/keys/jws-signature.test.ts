import { generateKeyPairSync, verify, type KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hasHighSEs256Signature } from "../../src/security/ecdsa.js";
import { signHere, signOnPool, type JwsKey } from "../../src/keys/jws-signature.js";

const input = (i: number) => `${Buffer.from('{"alg":"ES256"}').toString("base64url")}.${Buffer.from(JSON.stringify({ n: i })).toString("base64url")}`;

function verifies(key: { alg: string; publicKey: KeyObject }, signingInput: string, signature: string): boolean {
  const options = key.alg === "ES256" ? { key: key.publicKey, dsaEncoding: "ieee-p1363" as const } : key.publicKey;
  return verify("sha256", Buffer.from(signingInput), options, Buffer.from(signature, "base64url"));
}

describe("JWS signatures", () => {
  it("on the thread pool: each input signed with its key, every ES256 signature low-s, many at once", async () => {
    const keys = ["a", "b"].map((kid) => ({ kid, alg: "ES256" as const, ...generateKeyPairSync("ec", { namedCurve: "P-256" }) }));
    const asked = Array.from({ length: 80 }, (_, i) => ({ key: keys[i % 3 === 0 ? 1 : 0]!, text: input(i) }));
    const signatures = await Promise.all(asked.map(({ key, text }) => signOnPool(key, text)));
    asked.forEach(({ key, text }, i) => {
      expect(verifies(key, text, signatures[i]!)).toBe(true);
      // OpenSSL's s is in the upper half one time in two: 80 low ones means they were made canonical.
      expect(hasHighSEs256Signature(`${text}.${signatures[i]}`)).toBe(false);
    });
    expect(verifies(keys[0]!, asked[1]!.text, signatures[0]!)).toBe(false);
  });

  it("RS256: the pool's signature is the request thread's (PKCS#1 v1.5 is deterministic)", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const key: JwsKey & { publicKey: KeyObject } = { kid: "r", alg: "RS256", privateKey, publicKey };
    const signature = await signOnPool(key, input(1));
    expect(signature).toBe(signHere(key, input(1)));
    expect(verifies(key, input(1), signature)).toBe(true);
  });

  it("a key that cannot sign rejects the promise", async () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    await expect(signOnPool({ kid: "p", alg: "ES256", privateKey: publicKey }, input(2))).rejects.toThrow();
  });
});
