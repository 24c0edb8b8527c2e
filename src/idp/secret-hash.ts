import { randomBytes, scrypt, type ScryptOptions } from "node:crypto";
import { HashQueue } from "../security/guess-throttle.js";
import { constantTimeEqual } from "../util/crypto.js";

/**
 * Client secrets and user passwords at rest: scrypt (memory-hard, node:crypto), 16 MiB per hash, random salt.
 * Stored as `scrypt$N$r$p$<salt>$<hash>` so the cost can be raised later without breaking old hashes.
 */
const PARAMS = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function scryptAsync(secret: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, { ...options, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(secret, salt, PARAMS);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

/**
 * Every verification goes through one bounded queue (2 at a time, 64 waiting, sources served in turn): the libuv
 * threads stay free for other work and guesses queue behind a bound instead of without one (HashQueueFull beyond it).
 */
let queue = new HashQueue(2, 64);

/** Sets the queue's bounds (from the configuration, at start). */
export function configureHashQueue(concurrency: number, queueLimit: number): void {
  queue = new HashQueue(concurrency, queueLimit);
}

let dummy: Promise<string> | undefined;

/**
 * The same work as a real check, against a hash of nothing anyone knows: an unknown client id or user name costs what a
 * known one does, so timing does not tell which exist. Always false.
 */
export async function verifyAgainstDummy(secret: string, source = ""): Promise<false> {
  dummy ??= hashSecret(randomBytes(32).toString("base64"));
  await verifySecret(secret.slice(0, 1024), await dummy, source);
  return false;
}

/**
 * Constant-time check of a presented secret against its stored hash. A malformed record never matches. `source` is who
 * the check is done for (the client's address, from the token endpoint and the sign-in page): the queue serves sources
 * in turn, so one source's flood of guesses does not delay another's genuine request. It is passed along, not kept in
 * an AsyncLocalStorage: on Node 20 one of those, once used, hooks every promise of the process for good (every request
 * after the first Entra token request paid for it: bench/RESULTS.md "Issue 15: fifth pass").
 */
export async function verifySecret(secret: string, stored: string, source = ""): Promise<boolean> {
  return queue.run(() => verifyNow(secret, stored), source);
}

async function verifyNow(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 1 << 20) return false;
  const expected = Buffer.from(parts[5]!, "base64");
  const actual = await scryptAsync(secret, Buffer.from(parts[4]!, "base64"), { N, r, p });
  return constantTimeEqual(actual, expected);
}
