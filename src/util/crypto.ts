import * as nodeCrypto from "node:crypto";
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";

/**
 * The one constant-time comparison of the code base. Lengths are compared first (their difference is not secret:
 * signatures and hashes have fixed lengths), then the bytes without an early exit.
 */
export function constantTimeEqual(a: Buffer | string, b: Buffer | string): boolean {
  const left = typeof a === "string" ? Buffer.from(a) : a;
  const right = typeof b === "string" ? Buffer.from(b) : b;
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}

/** A new access key: canonical base64 of 32 random bytes (what ACS issues). */
export function generateAccessKey(): string {
  return randomBytes(32).toString("base64");
}

/** crypto.hash, one-shot (Node ≥ 20.12; package.json allows 20.10): a third of createHash()'s cost on a request body. */
const oneShotHash = (nodeCrypto as Partial<Pick<typeof nodeCrypto, "hash">>).hash;

export function sha256Base64(data: Buffer | string): string {
  return oneShotHash !== undefined ? oneShotHash("sha256", data, "base64") : createHash("sha256").update(data).digest("base64");
}

export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

export function newId(): string {
  return randomUUID();
}

/** A short opaque id for key versions and similar handles (not a secret). */
export function shortId(bytes = 9): string {
  return randomBytes(bytes).toString("base64url");
}
