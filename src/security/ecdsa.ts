/** The order of the P-256 group. */
const P256_N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const P256_HALF_N = P256_N >> 1n;

function toBigInt(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString("hex")}`);
}

/**
 * ES256 signatures (r || s, IEEE P1363) are malleable: (r, n − s) verifies as well as (r, s). Our own tokens are
 * always signed with the low s, and a high s is refused, so each token has exactly one valid string.
 */
export function normalizeEs256Signature(signature: Buffer): Buffer {
  if (signature.length !== 64) return signature;
  const s = toBigInt(signature.subarray(32));
  if (s <= P256_HALF_N) return signature;
  const low = (P256_N - s).toString(16).padStart(64, "0");
  return Buffer.concat([signature.subarray(0, 32), Buffer.from(low, "hex")]);
}

/** True when a compact JWS is ES256 with a non-canonical (high-s) signature. */
export function hasHighSEs256Signature(token: string): boolean {
  const parts = token.split(".");
  if (parts.length !== 3) return false;
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8")) as { alg?: unknown }).alg;
  } catch {
    return false;
  }
  if (alg !== "ES256") return false;
  const signature = Buffer.from(parts[2]!, "base64url");
  if (signature.length !== 64) return false;
  return toBigInt(signature.subarray(32)) > P256_HALF_N;
}
