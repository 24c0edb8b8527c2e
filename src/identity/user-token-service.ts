import { randomUUID } from "node:crypto";
import type { Principal, UserScope } from "../auth/principal.js";
import { isUserScope } from "../auth/principal.js";
import { verifyJwt } from "../auth/jwt.js";
import type { ErrorCode } from "../errors/acs-errors.js";
import type { SigningKeyRing } from "../keys/signing-key-ring.js";
import { USER_TOKEN_ALG } from "../keys/signing-key-ring.js";
import type { Resource } from "../resources/resource.js";
import type { Clock } from "../util/clock.js";
import { skypeId } from "./identity-id.js";
import type { IdentityStateCache } from "./identity-state-cache.js";

/** Claims of a user access token. `rgen` and `akid` carry the revocation state the token was issued under. */
export interface UserTokenClaims {
  iss: string;
  sub: string;
  skypeid: string;
  resourceId: string;
  /** Space-separated scopes (RFC 9068 style). */
  scope: string;
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
  /** The identity's revocation generation at issue time. */
  rgen: number;
  /** The id of the access key that signed the issuing request, if one did. */
  akid?: string;
}

export interface IssuedToken {
  token: string;
  /** ISO-8601, equal to the `exp` claim. */
  expiresOn: string;
  claims: UserTokenClaims;
}

export type TokenCheck =
  | { ok: true; principal: Extract<Principal, { kind: "user" }>; claims: UserTokenClaims }
  /** `identity`: the token's subject, when its signature was valid (a refusal is then filed under that identity). */
  | { ok: false; code: ErrorCode; identity?: string };

export const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;

function parseClaims(payload: Record<string, unknown>): UserTokenClaims | undefined {
  const { sub, resourceId, scope, rgen, exp, iat } = payload;
  if (typeof sub !== "string" || typeof resourceId !== "string" || typeof scope !== "string") return undefined;
  if (typeof rgen !== "number" || typeof exp !== "number" || typeof iat !== "number") return undefined;
  if (payload.akid !== undefined && typeof payload.akid !== "string") return undefined;
  return payload as unknown as UserTokenClaims;
}

/** Issues and checks user access tokens: signature (cached once verified), expiry, resource, revocation. */
export class UserTokenService {
  private readonly verified = new Map<string, UserTokenClaims>();

  constructor(
    private readonly keyRing: SigningKeyRing,
    private readonly states: IdentityStateCache,
    private readonly clock: Clock,
    private readonly issuer: string,
    /** At most this many verified tokens are remembered (`tokens.verifiedCacheSize`); the oldest go first. */
    private readonly maxCachedTokens = DEFAULT_VERIFIED_TOKEN_CACHE_SIZE,
  ) {}

  async issue(options: {
    identity: string;
    resourceId: string;
    scopes: readonly UserScope[];
    lifetimeMinutes: number;
    generation: number;
    accessKeyId?: string | undefined;
    /** Epoch seconds; caps the lifetime (token exchanges inherit the Entra token's expiry). */
    notAfter?: number;
  }): Promise<IssuedToken> {
    const iat = Math.floor(this.clock.now() / 1000);
    let exp = iat + options.lifetimeMinutes * 60;
    if (options.notAfter !== undefined) exp = Math.min(exp, options.notAfter);
    const claims: UserTokenClaims = {
      iss: this.issuer,
      sub: options.identity,
      skypeid: skypeId(options.identity),
      resourceId: options.resourceId,
      scope: options.scopes.join(" "),
      iat,
      nbf: iat,
      exp,
      jti: randomUUID(),
      rgen: options.generation,
      ...(options.accessKeyId !== undefined ? { akid: options.accessKeyId } : {}),
    };
    return { token: await this.keyRing.signOffThread(claims), expiresOn: new Date(exp * 1000).toISOString(), claims };
  }

  /** Full check of a presented token for a request on `resource`. */
  async check(token: string, resource: Resource): Promise<TokenCheck> {
    const verified = await this.verifySignature(token);
    if (!verified.ok) return verified;
    const claims = verified.claims;
    const refuse = (code: ErrorCode): TokenCheck => ({ ok: false, code, identity: claims.sub });
    if (claims.exp * 1000 <= this.clock.now()) return refuse("TokenExpired");
    if (claims.resourceId !== resource.id) return refuse("TokenResourceMismatch");
    if (claims.akid !== undefined && claims.akid !== resource.keys.primary.id && claims.akid !== resource.keys.secondary.id) {
      return refuse("AccessKeyRegenerated");
    }
    const state = await this.states.get(claims.sub);
    if (state === null || state.resourceId !== resource.id) return refuse("InvalidToken");
    if (state.deleted) return refuse("IdentityDeleted");
    if (state.generation !== claims.rgen) return refuse("TokenRevoked");
    const scopes = claims.scope.split(" ").filter(isUserScope);
    return {
      ok: true,
      claims,
      principal: { kind: "user", resourceId: resource.id, identity: claims.sub, scopes, tokenId: claims.jti, expiresAt: claims.exp },
    };
  }

  /** Signature, issuer and algorithm; remembered per token string until the token expires. */
  private async verifySignature(token: string): Promise<{ ok: true; claims: UserTokenClaims } | { ok: false; code: ErrorCode; identity?: string }> {
    const cached = this.verified.get(token);
    if (cached !== undefined) return { ok: true, claims: cached };
    const result = await verifyJwt(token, {
      algorithms: [USER_TOKEN_ALG],
      keyFor: (header) => this.keyRing.verificationKey(header.kid),
      issuer: this.issuer,
      now: () => this.clock.now(),
      requireLowS: true,
    });
    if (!result.ok) {
      const sub = result.payload?.sub;
      return typeof sub === "string" ? { ok: false, code: result.code, identity: sub } : { ok: false, code: result.code };
    }
    const claims = parseClaims(result.payload as Record<string, unknown>);
    if (claims === undefined) return { ok: false, code: "InvalidToken" };
    if (this.maxCachedTokens > 0) {
      if (this.verified.size >= this.maxCachedTokens) this.verified.delete(this.verified.keys().next().value as string);
      this.verified.set(token, claims);
    }
    return { ok: true, claims };
  }
}
