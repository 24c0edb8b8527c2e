import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, type JWK } from "jose";
import { FEED_RESET, type ChangeFeed } from "../store/change-feed.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { base64url } from "../util/crypto.js";

/**
 * ES256: the fastest asymmetric signature here (39k signs/s against RS256's 3.5k, PERF-NOTES.md), with small tokens.
 * Its slower verification (12.7k/s) is paid once per token thanks to the verified-token cache.
 */
export const USER_TOKEN_ALG = "ES256";
/** The longest user token lifetime: a retired key stays published at least this long. */
export const MAX_USER_TOKEN_LIFETIME_MS = 24 * 60 * 60_000;
export const SIGNING_KEY_CHANGED = "signing-key";

export interface SigningKey {
  kid: string;
  alg: typeof USER_TOKEN_ALG;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
  createdAt: number;
  retiredAt: number | null;
}

/** The server's token signing keys: one active key signs; retired keys verify until their last token expired. */
export class SigningKeyRing {
  private keys = new Map<string, SigningKey>();
  private active: SigningKey | undefined;
  private headerPrefix = "";
  private reloading = false;
  private reloadAgain = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async load(): Promise<void> {
    const rows = await this.store.db.selectFrom("signing_keys").selectAll().orderBy("created_at").execute();
    const keys = new Map<string, SigningKey>();
    let active: SigningKey | undefined;
    for (const row of rows) {
      const privateKey = createPrivateKey(row.private_pem);
      const key: SigningKey = {
        kid: row.kid,
        alg: USER_TOKEN_ALG,
        privateKey,
        publicKey: createPublicKey(privateKey),
        publicJwk: JSON.parse(row.public_jwk) as JWK,
        createdAt: Number(row.created_at),
        retiredAt: row.retired_at === null ? null : Number(row.retired_at),
      };
      keys.set(key.kid, key);
      if (key.retiredAt === null && (active === undefined || key.createdAt >= active.createdAt)) active = key;
    }
    this.keys = keys;
    this.active = active;
    if (active !== undefined) this.headerPrefix = base64url(JSON.stringify({ alg: USER_TOKEN_ALG, typ: "JWT", kid: active.kid }));
  }

  /**
   * Makes sure a signing key exists (first start). Safe when several processes start at once: the check and the
   * insert run under one lock, and a unique index allows one active key only (migration 0007).
   */
  async ensureKey(): Promise<void> {
    await this.load();
    if (this.active === undefined) await this.rotate({ onlyIfNone: true });
  }

  /** Generates a new signing key and retires the current one. Returns the active kid afterwards. */
  async rotate(options: { onlyIfNone?: boolean } = {}): Promise<string> {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" }) as JWK;
    const kid = await calculateJwkThumbprint(jwk);
    const publicJwk: JWK = { ...jwk, kid, alg: USER_TOKEN_ALG, use: "sig" };
    const now = this.clock.now();
    const created = await this.store.write(async (trx, ctx) => {
      await ctx.lock(SIGNING_KEY_CHANGED);
      if (options.onlyIfNone === true) {
        const active = await trx.selectFrom("signing_keys").select("kid").where("retired_at", "is", null).executeTakeFirst();
        if (active !== undefined) return false;
      }
      await trx.updateTable("signing_keys").set({ retired_at: now }).where("retired_at", "is", null).execute();
      await trx
        .insertInto("signing_keys")
        .values({
          kid,
          alg: USER_TOKEN_ALG,
          private_pem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
          public_jwk: JSON.stringify(publicJwk),
          created_at: now,
          retired_at: null,
        })
        .execute();
      ctx.emit({ topic: SIGNING_KEY_CHANGED, subject: kid });
      return true;
    });
    await this.load();
    return created ? kid : this.activeKid;
  }

  watch(feed: ChangeFeed): void {
    feed.subscribe((changes) => {
      if (changes.some((c) => c.topic === SIGNING_KEY_CHANGED || c.topic === FEED_RESET)) void this.reload();
    });
  }

  /** Reloads after a change; a failed load (database briefly away) is retried every second until one succeeds. */
  private async reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = true;
    try {
      do {
        this.reloadAgain = false;
        await this.load().catch(async () => {
          this.reloadAgain = true;
          await new Promise((r) => setTimeout(r, 1_000).unref());
        });
      } while (this.reloadAgain);
    } finally {
      this.reloading = false;
    }
  }

  get activeKid(): string {
    if (this.active === undefined) throw new Error("no active signing key");
    return this.active.kid;
  }

  /** Signs a JWT with the active key (node:crypto directly: this is the token-issuing hot path). */
  sign(payload: object): string {
    const key = this.active;
    if (key === undefined) throw new Error("no active signing key");
    const signingInput = `${this.headerPrefix}.${base64url(JSON.stringify(payload))}`;
    const signature = sign("sha256", Buffer.from(signingInput), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
    return `${signingInput}.${signature.toString("base64url")}`;
  }

  /** A verification key by kid, only if it may still verify tokens. */
  verificationKey(kid: string | undefined): KeyObject | undefined {
    if (kid === undefined) return undefined;
    const key = this.keys.get(kid);
    if (key === undefined || !this.isPublished(key)) return undefined;
    return key.publicKey;
  }

  /** The public keys for GET /.well-known/jwks.json: active and not-yet-expired retired keys, no private part. */
  jwks(): { keys: JWK[] } {
    return { keys: [...this.keys.values()].filter((k) => this.isPublished(k)).map((k) => k.publicJwk) };
  }

  private isPublished(key: SigningKey): boolean {
    return key.retiredAt === null || key.retiredAt + MAX_USER_TOKEN_LIFETIME_MS > this.clock.now();
  }
}
