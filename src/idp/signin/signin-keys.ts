import { createHmac, randomBytes } from "node:crypto";
import type { Store } from "../../store/store.js";
import type { Clock } from "../../util/clock.js";
import { constantTimeEqual } from "../../util/crypto.js";

const KEY_ID = "cookie-hmac";

/** The HMAC key that signs session cookies and CSRF tokens; one per database, so every replica agrees. */
export class SigninKeys {
  private key: Buffer | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async ensure(): Promise<void> {
    const existing = await this.store.db.selectFrom("idp_signin_keys").select("secret").where("id", "=", KEY_ID).executeTakeFirst();
    if (existing === undefined) {
      await this.store.write(async (trx, ctx) => {
        await ctx.lock("idp_signin_keys");
        const again = await trx.selectFrom("idp_signin_keys").select("id").where("id", "=", KEY_ID).executeTakeFirst();
        if (again === undefined) {
          await trx.insertInto("idp_signin_keys").values({ id: KEY_ID, secret: randomBytes(32).toString("base64"), created_at: this.clock.now() }).execute();
        }
      });
    }
    const row = await this.store.db.selectFrom("idp_signin_keys").select("secret").where("id", "=", KEY_ID).executeTakeFirstOrThrow();
    this.key = Buffer.from(row.secret, "base64");
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
