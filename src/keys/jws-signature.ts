import { sign, type KeyObject, type SignKeyObjectInput } from "node:crypto";
import { normalizeEs256Signature } from "../security/ecdsa.js";

/** A private key a JWS is signed with. */
export interface JwsKey {
  kid: string;
  alg: "ES256" | "RS256";
  privateKey: KeyObject;
}

// JWS wants ECDSA signatures as r || s (IEEE P1363), not DER.
const signingKey = (key: JwsKey): SignKeyObjectInput => (key.alg === "ES256" ? { key: key.privateKey, dsaEncoding: "ieee-p1363" } : { key: key.privateKey });

/** ES256 signatures are made canonical (low s); RS256 ones are already. */
const encode = (key: JwsKey, signature: Buffer): string => (key.alg === "ES256" ? normalizeEs256Signature(signature) : signature).toString("base64url");

/** The base64url JWS signature of `signingInput` (`header.payload`), computed on this thread. */
export function signHere(key: JwsKey, signingInput: string): string {
  return encode(key, sign("sha256", Buffer.from(signingInput), signingKey(key)));
}

/**
 * The same, computed on libuv's thread pool (node:crypto's callback form): the ECDSA signature, the largest single
 * cost of issuing a user token, leaves the request thread, which meanwhile serves other requests (bench/RESULTS.md,
 * "Issue 15: fourth pass"). A worker thread of our own did as well, but its V8 heap cost ~15 MB of RSS.
 */
export function signOnPool(key: JwsKey, signingInput: string): Promise<string> {
  return new Promise((resolve, reject) => {
    sign("sha256", Buffer.from(signingInput), signingKey(key), (err, signature) => (err === null ? resolve(encode(key, signature)) : reject(err)));
  });
}
