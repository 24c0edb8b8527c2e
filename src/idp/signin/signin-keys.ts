import { createHmac, randomBytes } from "node:crypto";
import type { Store } from "../../store/store.js";
import type { Clock } from "../../util/clock.js";
import { SigninKeyRepository } from "./signin-repository.js";
import { constantTimeEqual } from "../../util/crypto.js";

const KEY_ID = "cookie-hmac";

/** The HMAC key that signs session cookies and CSRF tokens; one per database, so every replica agrees. */
export class SigninKeys {
  private key: Buffer | undefined;
  private readonly repository: SigninKeyRepository;

  constructor(
    store: Store,
    private readonly clock: Clock,
  ) {
    this.repository = new SigninKeyRepository(store);
  }

  async ensure(): Promise<void> {
    const secret = (await this.repository.secret(KEY_ID)) ?? (await this.repository.insertIfMissing(KEY_ID, randomBytes(32).toString("base64"), this.clock.now()));
    this.key = Buffer.from(secret, "base64");
  }

  /** base64url HMAC-SHA256 of `purpose` + value. */
  mac(purpose: string, value: string): string {
    if (this.key === undefined) throw new Error("sign-in keys not loaded");
    return createHmac("sha256", this.key).update(`${purpose}\n${value}`).digest("base64url");
  }

  /** `value.mac`, for cookies. */
  sign(purpose: string, value: string): string {
    return `${value}.${this.mac(purpose, value)}`;
  }

  /** The value of a signed string, or undefined when the signature does not match (constant-time). */
  unsign(purpose: string, signed: string | undefined): string | undefined {
    if (signed === undefined || signed.length > 500) return undefined;
    const dot = signed.lastIndexOf(".");
    if (dot <= 0) return undefined;
    const value = signed.slice(0, dot);
    return constantTimeEqual(signed.slice(dot + 1), this.mac(purpose, value)) ? value : undefined;
  }
}

/** Cookie header → map (first occurrence wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}
