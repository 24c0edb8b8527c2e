import { createHash, randomBytes } from "node:crypto";

/**
 * Bearer secrets of sign-in (codes, refresh tokens, session ids, device codes, identity headers) are 256 random bits
 * with a recognisable prefix (so the log scanner can spot them); only their SHA-256 is stored.
 */
export const SECRET_PREFIXES = {
  code: "sbc1.",
  refreshToken: "sbr1.",
  session: "sbs1.",
  deviceCode: "sbd1.",
  identityHeader: "sbmi",
} as const;

/** A new secret: prefix + 64 lowercase hex digits (lowercase: msal-node lowercases the IMDS endpoint URL). */
export function newBearerSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString("hex")}`;
}

export function digestSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}
