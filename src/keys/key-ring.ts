import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, type JWK } from "jose";
import { FEED_RESET, type ChangeFeed } from "../store/change-feed.js";
import type { Store } from "../store/store.js";
import { signHere, signOnPool, type JwsKey } from "./jws-signature.js";
import { SigningKeyRepository } from "./signing-key-repository.js";
import type { Clock } from "../util/clock.js";
import { base64url } from "../util/crypto.js";
import { Reloader } from "../util/reloader.js";

/** What distinguishes one ring of signing keys from another. */
export interface KeyRingSpec {
  /** A table with the key columns (kid, alg, private_pem, public_jwk, created_at, retired_at). */
  table: "signing_keys" | "idp_signing_keys";
  alg: "ES256" | "RS256";
  /** The change-feed topic of a rotation, which every process's ring reloads on. */
  changeTopic: string;
  /** A retired key stays published (verifies) this long: longer than any token it signed can live. */
  publishedAfterRetirementMs: number;
}

interface RingKey extends JwsKey {
  publicKey: KeyObject;
  publicJwk: JWK;
  createdAt: number;
  retiredAt: number | null;
}

function generateKeyPair(alg: KeyRingSpec["alg"]): { privateKey: KeyObject; publicKey: KeyObject } {
  return alg === "ES256" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("rsa", { modulusLength: 2048 });
}

/**
 * Token signing keys kept in the store, so that tokens survive a restart and every process signs and verifies alike:
 * one active key signs; retired keys keep verifying until the last token they signed has expired. Rotation is a
 * change on the feed, so every process reloads.
 */
export class KeyRing {
  private keys = new Map<string, RingKey>();
  private active: RingKey | undefined;
  private header = "";
  private readonly reloader = new Reloader(() => this.load(), 1_000);
  private readonly repository: SigningKeyRepository;

  constructor(
    protected readonly store: Store,
    protected readonly clock: Clock,
    private readonly spec: KeyRingSpec,
  ) {
    this.repository = new SigningKeyRepository(store, spec.table);
  }

  async load(): Promise<void> {
    const stored = await this.repository.list();
    const keys = new Map<string, RingKey>();
    let active: RingKey | undefined;
    for (const row of stored) {
      const privateKey = createPrivateKey(row.privatePem);
      const key: RingKey = {
        kid: row.kid,
        alg: this.spec.alg,
        privateKey,
        publicKey: createPublicKey(privateKey),
        publicJwk: JSON.parse(row.publicJwk) as JWK,
        createdAt: row.createdAt,
        retiredAt: row.retiredAt,
      };
      keys.set(key.kid, key);
      if (key.retiredAt === null && (active === undefined || key.createdAt >= active.createdAt)) active = key;
    }
    this.keys = keys;
    this.active = active;
    if (active !== undefined) this.header = base64url(JSON.stringify({ alg: this.spec.alg, typ: "JWT", kid: active.kid }));
  }

  /**
   * Makes sure a signing key exists (first start). Safe when several processes start at once: the check and the
   * insert run under one lock.
   */
  async ensureKey(): Promise<void> {
    await this.load();
    if (this.active === undefined) await this.rotate({ onlyIfNone: true });
  }

  /** Generates a new signing key and retires the current one. Returns the active kid afterwards. */
  async rotate(options: { onlyIfNone?: boolean } = {}): Promise<string> {
    const { alg, changeTopic } = this.spec;
    const { privateKey, publicKey } = generateKeyPair(alg);
    const jwk = publicKey.export({ format: "jwk" }) as JWK;
    const kid = await calculateJwkThumbprint(jwk);
    const publicJwk: JWK = { ...jwk, kid, alg, use: "sig" };
    const created = await this.repository.rotate(
      {
        kid,
        alg,
        privatePem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
        publicJwk: JSON.stringify(publicJwk),
        createdAt: this.clock.now(),
      },
      changeTopic,
      options,
    );
    await this.load();
    return created ? kid : this.activeKid;
  }

  watch(feed: ChangeFeed): void {
    feed.subscribe((changes) => {
      if (changes.some((c) => c.topic === this.spec.changeTopic || c.topic === FEED_RESET)) this.reload();
    });
  }

  /** Reloads after a change; a failed load (database briefly away) is retried every second until one succeeds. */
  private reload(): void {
    this.reloader.request();
  }

  get activeKid(): string {
    if (this.active === undefined) throw new Error("no active signing key");
    return this.active.kid;
  }

  /** Signs a JWT with the active key, on this thread (node:crypto directly). */
  sign(payload: object): string {
    const { key, signingInput } = this.signingInput(payload);
    return `${signingInput}.${signHere(key, signingInput)}`;
  }

  /** Signs a JWT with the active key on libuv's thread pool: for the hot path (user tokens). */
  async signOffThread(payload: object): Promise<string> {
    const { key, signingInput } = this.signingInput(payload);
    return `${signingInput}.${await signOnPool(key, signingInput)}`;
  }

  private signingInput(payload: object): { key: RingKey; signingInput: string } {
    const key = this.active;
    if (key === undefined) throw new Error("no active signing key");
    return { key, signingInput: `${this.header}.${base64url(JSON.stringify(payload))}` };
  }

  /** A verification key by kid, only while it may still verify tokens. */
  verificationKey(kid: string | undefined): KeyObject | undefined {
    if (kid === undefined) return undefined;
    const key = this.keys.get(kid);
    if (key === undefined || !this.isPublished(key)) return undefined;
    return key.publicKey;
  }

  /** The published public keys (JWKS): the active one and retired ones still verifying; no private part. */
  jwks(): { keys: JWK[] } {
    return { keys: [...this.keys.values()].filter((k) => this.isPublished(k)).map((k) => k.publicJwk) };
  }

  private isPublished(key: RingKey): boolean {
    return key.retiredAt === null || key.retiredAt + this.spec.publishedAfterRetirementMs > this.clock.now();
  }
}
