import { createRemoteJWKSet, errors, type JWSHeaderParameters } from "jose";
import type { TrustedIssuerConfig } from "../../config/config.js";
import type { VerificationKey } from "../jwt.js";
import { isKeySourceUrl } from "../../util/key-source-url.js";

/**
 * What a bearer token is presented for. Each purpose has its own audiences, so a token minted for one (the ACS data
 * plane, say) is never accepted for another (the Teams exchange, management).
 */
export type TokenPurpose = "dataPlane" | "management" | "teamsExchange" | "trustedAuth";

/** An unknown kid makes jose refetch the key set, at most once per this period. */
export const JWKS_REFETCH_COOLDOWN_MS = 60_000;
const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;
const FETCH_TIMEOUT_MS = 5_000;

type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;


/**
 * One configured external issuer. Its keys come only from its configured JWKS URL (or the jwks_uri of its configured
 * discovery document, whose issuer must match): never from a token's jku, x5u or embedded jwk.
 */
export class TrustedIssuer {
  private keySet: RemoteKeySet | undefined;
  private discovery: Promise<RemoteKeySet> | undefined;
  private discoveryFailedAt = 0;

  constructor(
    readonly config: TrustedIssuerConfig,
    private readonly now: () => number,
    private readonly onError: (issuer: string, err: unknown) => void = () => {},
  ) {}

  get issuer(): string {
    return this.config.issuer;
  }

  /** The `aud` values accepted for one purpose; empty when the issuer is not trusted for it. */
  audiencesFor(purpose: TokenPurpose): readonly string[] {
    switch (purpose) {
      case "dataPlane":
        return this.config.audiences;
      case "management":
        return this.config.managementAudiences ?? [];
      case "teamsExchange":
        return this.config.teamsAudiences ?? [];
      case "trustedAuth":
        return this.config.trustedAuthAudiences ?? [];
    }
  }

  /** The key for a token's header; undefined (an unknown kid) after jose's rate-limited refetch. */
  async keyFor(header: JWSHeaderParameters): Promise<VerificationKey | undefined> {
    const keySet = await this.resolveKeySet();
    try {
      return (await keySet(header)) as VerificationKey;
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return undefined;
      this.onError(this.config.issuer, err);
      throw err;
    }
  }

  private async resolveKeySet(): Promise<RemoteKeySet> {
    if (this.keySet !== undefined) return this.keySet;
    if (this.config.jwksUri !== undefined) {
      this.keySet = this.remote(this.config.jwksUri);
      return this.keySet;
    }
    if (this.discovery === undefined) {
      if (this.now() - this.discoveryFailedAt < JWKS_REFETCH_COOLDOWN_MS) throw new errors.JWKSTimeout("discovery failed recently");
      this.discovery = this.discover().then(
        (set) => (this.keySet = set),
        (err: unknown) => {
          this.onError(this.config.issuer, err);
          this.discovery = undefined;
          this.discoveryFailedAt = this.now();
          throw err;
        },
      );
    }
    return this.discovery;
  }

  private async discover(): Promise<RemoteKeySet> {
    const res = await fetch(this.config.discoveryUrl!, { redirect: "error", signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`discovery document: HTTP ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (doc.issuer !== this.config.issuer) throw new Error("discovery document names another issuer");
    if (typeof doc.jwks_uri !== "string") throw new Error("discovery document has no jwks_uri");
    if (!isKeySourceUrl(doc.jwks_uri)) throw new Error("jwks_uri must be https (http only on loopback)");
    return this.remote(doc.jwks_uri);
  }

  private remote(url: string): RemoteKeySet {
    return createRemoteJWKSet(new URL(url), {
      cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
      cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
      timeoutDuration: FETCH_TIMEOUT_MS,
    });
  }
}

/** The configured trusted issuers, looked up by a token's exact `iss`. */
export class TrustedIssuers {
  private readonly byIssuer: Map<string, TrustedIssuer>;

  /** `onError`: a discovery document or key set could not be fetched or used (the operator should hear of it). */
  constructor(configs: readonly TrustedIssuerConfig[], now: () => number, onError?: (issuer: string, err: unknown) => void) {
    this.byIssuer = new Map(configs.map((c) => [c.issuer, new TrustedIssuer(c, now, onError)]));
  }

  get(issuer: string): TrustedIssuer | undefined {
    return this.byIssuer.get(issuer);
  }
}
