import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, type JWK } from "jose";
import { FEED_RESET, type ChangeFeed } from "../store/change-feed.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { base64url } from "../util/crypto.js";

/** RS256: what Entra ID signs with, and what every relying party's JWT library verifies. */
export const AUTHORITY_ALG = "RS256";
export const AUTHORITY_KEY_CHANGED = "idp-signing-key";
/** A retired key stays published this long (longer than any access token the authority issues). */
const RETIRED_KEY_PUBLISHED_MS = 25 * 60 * 60_000;

interface AuthorityKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
  createdAt: number;
  retiredAt: number | null;
}

/**
 * The built-in authority's tenant and its own token signing keys, persisted in the store so tokens survive a restart
 * and every replica signs and verifies alike. Distinct from the user-token keys (SigningKeyRing).
 */
export class AuthorityKeys {
  private keys = new Map<string, AuthorityKey>();
  private active: AuthorityKey | undefined;
  private header = "";
  private tenant: string | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Creates the default tenant and a signing key on first start; loads them otherwise. */
  async ensure(): Promise<void> {
    const existing = await this.store.db.selectFrom("idp_tenants").select("id").where("is_default", "=", 1).executeTakeFirst();
    if (existing === undefined) {
      const id = randomUUID();
      await this.store.write(async (trx) => {
        const again = await trx.selectFrom("idp_tenants").select("id").where("is_default", "=", 1).executeTakeFirst();
        if (again === undefined) await trx.insertInto("idp_tenants").values({ id, is_default: 1, created_at: this.clock.now() }).execute();
      });
    }
    const row = await this.store.db.selectFrom("idp_tenants").select("id").where("is_default", "=", 1).executeTakeFirstOrThrow();
    this.tenant = row.id;
    await this.load();
    if (this.active === undefined) await this.rotate();
  }

  get tenantId(): string {
    if (this.tenant === undefined) throw new Error("authority not initialised");
    return this.tenant;
  }

  async load(): Promise<void> {
    const rows = await this.store.db.selectFrom("idp_signing_keys").selectAll().orderBy("created_at").execute();
    const keys = new Map<string, AuthorityKey>();
    let active: AuthorityKey | undefined;
    for (const row of rows) {
      const privateKey = createPrivateKey(row.private_pem);
      const key: AuthorityKey = {
        kid: row.kid,
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
    if (active !== undefined) this.header = base64url(JSON.stringify({ typ: "JWT", alg: AUTHORITY_ALG, kid: active.kid }));
  }

  /** A new signing key; the previous one keeps verifying until its tokens have expired. */
  async rotate(): Promise<string> {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = publicKey.export({ format: "jwk" }) as JWK;
    const kid = await calculateJwkThumbprint(jwk);
    const now = this.clock.now();
    await this.store.write(async (trx, ctx) => {
      await trx.updateTable("idp_signing_keys").set({ retired_at: now }).where("retired_at", "is", null).execute();
      await trx
        .insertInto("idp_signing_keys")
        .values({
          kid,
          alg: AUTHORITY_ALG,
          private_pem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
          public_jwk: JSON.stringify({ ...jwk, kid, alg: AUTHORITY_ALG, use: "sig", kty: "RSA" }),
          created_at: now,
          retired_at: null,
        })
        .execute();
      ctx.emit({ topic: AUTHORITY_KEY_CHANGED, subject: kid });
    });
    await this.load();
    return kid;
  }

  watch(feed: ChangeFeed): void {
    feed.subscribe((changes) => {
      if (changes.some((c) => c.topic === AUTHORITY_KEY_CHANGED || c.topic === FEED_RESET)) void this.load().catch(() => undefined);
    });
  }

  /** Signs a JWT with the active key. */
  sign(payload: object): string {
    const key = this.active;
    if (key === undefined) throw new Error("no active authority key");
    const input = `${this.header}.${base64url(JSON.stringify(payload))}`;
    return `${input}.${sign("sha256", Buffer.from(input), key.privateKey).toString("base64url")}`;
  }

  /** The public key named by `kid`, only while it is published. */
  verificationKey(kid: string | undefined): KeyObject | undefined {
    if (kid === undefined) return undefined;
    const key = this.keys.get(kid);
    return key !== undefined && this.isPublished(key) ? key.publicKey : undefined;
  }

  jwks(): { keys: JWK[] } {
    return { keys: [...this.keys.values()].filter((k) => this.isPublished(k)).map((k) => k.publicJwk) };
  }

  private isPublished(key: AuthorityKey): boolean {
    return key.retiredAt === null || key.retiredAt + RETIRED_KEY_PUBLISHED_MS > this.clock.now();
  }
}
