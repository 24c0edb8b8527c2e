import { ACS_AUDIENCES } from "../audiences.js";
import { decodeJwt, type JWTPayload } from "jose";
import type { ErrorCode } from "../../errors/acs-errors.js";
import type { AuthorityKeys } from "../../idp/authority-keys.js";
import type { PrincipalStateCache } from "../../idp/principal-state-cache.js";
import type { Clock } from "../../util/clock.js";
import { verifyJwt, type AllowedAlgorithm } from "../jwt.js";
import type { Principal } from "../principal.js";
import { TEAMS_AUDIENCE } from "../../idp/authority-tokens.js";
import type { TokenPurpose, TrustedIssuers } from "./trusted-issuers.js";

/** Asymmetric only: `none` and every HMAC algorithm are refused before a key is looked at. */
export const BEARER_ALGORITHMS: readonly AllowedAlgorithm[] = ["RS256", "PS256", "ES256", "RS384", "RS512", "ES384", "EdDSA"];
/** At most five minutes of clock skew on exp and nbf. */
export const MAX_CLOCK_SKEW_SEC = 300;
/** `aud` values of the built-in authority's tokens, per purpose. */
export const BUILT_IN_AUDIENCES: Record<TokenPurpose, readonly string[]> = {
  dataPlane: ACS_AUDIENCES,
  management: ["https://management.azure.com", "https://management.azure.com/", "https://management.core.windows.net/"],
  teamsExchange: [TEAMS_AUDIENCE, `${TEAMS_AUDIENCE}/`],
  trustedAuth: [],
};

/** Request-dependent `aud` values for one verification (see `EntraTokenVerifier.verify`). */
export interface PurposeAudiences {
  builtIn?: readonly string[];
  external?: readonly string[];
}

export type EntraPrincipal = Extract<Principal, { kind: "entra" }>;

export type EntraTokenCheck =
  | { ok: true; principal: EntraPrincipal; claims: JWTPayload & Record<string, unknown>; builtIn: boolean }
  | { ok: false; code: ErrorCode };

/** Maps a verifyJwt failure reason onto the specific 401 code the client sees. */
function codeFor(code: ErrorCode, reason: string): ErrorCode {
  if (code !== "InvalidToken") return code;
  if (reason === "ERR_JOSE_ALG_NOT_ALLOWED" || reason === "ERR_JOSE_NOT_SUPPORTED") return "UnsupportedTokenAlgorithm";
  if (reason === "ERR_JWKS_NO_MATCHING_KEY") return "UnknownSigningKey";
  if (reason === "key-source-in-header") return "TokenKeySourceNotAllowed";
  if (reason === "claim:aud") return "InvalidTokenAudience";
  if (reason === "claim:iss") return "UntrustedTokenIssuer";
  return "InvalidToken";
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/**
 * Verifies an Entra ID bearer token: from the built-in authority (any host it was reached at, its tenant, its own
 * keys) or from a configured trusted issuer (keys from its configured key set only). Then, for the built-in
 * authority, the principal must still exist and be enabled.
 */
const MAX_CACHED_TOKENS = 10_000;

interface VerifiedToken {
  claims: JWTPayload & Record<string, unknown>;
  iss: string;
  builtIn: boolean;
}

export class EntraTokenVerifier {
  private readonly builtInIssuer: RegExp;
  /** Tokens whose signature, issuer and audience verified (per audience set); time and principal are rechecked on use. */
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    private readonly keys: AuthorityKeys,
    private readonly trusted: TrustedIssuers,
    private readonly states: PrincipalStateCache,
    private readonly clock: Clock,
  ) {
    // The host part is whatever the client used to reach the authority (MSAL needs it to match its authorityHost);
    // only the authority's private key can produce a signature that verifies below, whatever the host says.
    this.builtInIssuer = /^https:\/\/[^/\s]{1,255}\/([0-9a-f-]{36})\/v2\.0$/;
  }

  /** True for an `iss` of the built-in authority (any host, its tenant). */
  isBuiltInIssuer(iss: string): boolean {
    const tenant = this.builtInIssuer.exec(iss)?.[1];
    return tenant !== undefined && tenant === this.keys.tenantId;
  }

  /**
   * `purpose`: what the token is presented for; it selects the accepted `aud` values, per issuer. `audiences` names
   * them where they depend on the request: `builtIn` replaces the built-in authority's list for the purpose (the
   * management plane also accepts its own endpoint, an app's API its client id), `external` adds to a trusted
   * issuer's configured list for the purpose (the trusted-auth service's per-resource audiences).
   */
  async verify(token: string, purpose: TokenPurpose, audiences: PurposeAudiences = {}): Promise<EntraTokenCheck> {
    const cacheKey = `${purpose}\n${audiences.builtIn?.join(" ") ?? ""}\n${audiences.external?.join(" ") ?? ""}\n${token}`;
    let entry = this.verified.get(cacheKey);
    if (entry !== undefined) {
      const nowSec = this.clock.now() / 1000;
      if (typeof entry.claims.exp === "number" && entry.claims.exp + MAX_CLOCK_SKEW_SEC <= nowSec) {
        this.verified.delete(cacheKey);
        return { ok: false, code: "TokenExpired" };
      }
    } else {
      const fresh = await this.verifySignature(token, purpose, audiences);
      if (!fresh.ok) return fresh;
      entry = fresh.entry;
      if (this.verified.size >= MAX_CACHED_TOKENS) this.verified.delete(this.verified.keys().next().value as string);
      this.verified.set(cacheKey, entry);
    }
    return this.checkPrincipal(entry);
  }

  /** Algorithm, issuer, key, signature, audience, exp/nbf: through the one verify function. */
  private async verifySignature(token: string, purpose: TokenPurpose, given: PurposeAudiences): Promise<{ ok: true; entry: VerifiedToken } | { ok: false; code: ErrorCode }> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      return { ok: false, code: "InvalidToken" };
    }
    const iss = str(unverified.iss);
    if (iss === undefined) return { ok: false, code: "UntrustedTokenIssuer" };
    const builtIn = this.isBuiltInIssuer(iss);
    const trusted = builtIn ? undefined : this.trusted.get(iss);
    if (!builtIn && trusted === undefined) return { ok: false, code: "UntrustedTokenIssuer" };
    const audiences = builtIn ? (given.builtIn ?? BUILT_IN_AUDIENCES[purpose]) : [...trusted!.audiencesFor(purpose), ...(given.external ?? [])];
    if (audiences.length === 0) return { ok: false, code: "InvalidTokenAudience" };

    const result = await verifyJwt(token, {
      algorithms: BEARER_ALGORITHMS,
      keyFor: (header) => (builtIn ? this.keys.verificationKey(header.kid) : trusted!.keyFor(header)),
      issuer: iss,
      audience: [...audiences],
      clockToleranceSec: MAX_CLOCK_SKEW_SEC,
      now: () => this.clock.now(),
      requireLowS: builtIn,
    });
    if (!result.ok) return { ok: false, code: codeFor(result.code, result.reason) };
    return { ok: true, entry: { claims: result.payload as JWTPayload & Record<string, unknown>, iss, builtIn } };
  }

  /** The principal behind verified claims; built-in principals must still exist and be enabled. */
  private async checkPrincipal({ claims, iss, builtIn }: VerifiedToken): Promise<EntraTokenCheck> {
    const objectId = str(claims.oid) ?? str(claims.sub);
    if (objectId === undefined) return { ok: false, code: "InvalidToken" };
    const isUser = str(claims.scp) !== undefined || claims.idtyp === "user";
    if (builtIn) {
      if (claims.tid !== this.keys.tenantId) return { ok: false, code: "InvalidToken" };
      const state = await this.states.get(objectId);
      if (state === "missing") return { ok: false, code: "PrincipalNotFound" };
      if (state === "disabled") return { ok: false, code: "PrincipalDisabled" };
      // A user token is also refused when the application it was obtained through is gone or disabled.
      const appId = str(claims.appid) ?? str(claims.azp);
      if (isUser && appId !== undefined) {
        const client = await this.states.getByClientId(appId);
        if (client === "missing") return { ok: false, code: "PrincipalNotFound" };
        if (client === "disabled") return { ok: false, code: "PrincipalDisabled" };
      }
    }
    return {
      ok: true,
      builtIn,
      claims,
      principal: {
        kind: "entra",
        issuer: iss,
        objectId,
        tenantId: str(claims.tid),
        appId: str(claims.appid) ?? str(claims.azp),
        principalType: isUser ? "user" : "service-principal",
        displayName: str(claims.preferred_username) ?? str(claims.name),
      },
    };
  }
}
