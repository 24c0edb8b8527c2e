import type { KeyObject, webcrypto } from "node:crypto";
import { errors, jwtVerify, type JWTPayload, type JWSHeaderParameters } from "jose";
import type { ErrorCode } from "../errors/acs-errors.js";
import { hasHighSEs256Signature } from "../security/ecdsa.js";

/** A public key: node:crypto's, or WebCrypto's (jose's remote key sets hand these out). */
export type VerificationKey = KeyObject | webcrypto.CryptoKey;

/** Asymmetric algorithms only: a symmetric or `none` token is refused before any key is looked at. */
export type AllowedAlgorithm = "ES256" | "RS256" | "PS256" | "EdDSA" | "ES384" | "RS384" | "RS512";

export interface VerifyJwtOptions {
  algorithms: readonly AllowedAlgorithm[];
  /**
   * Chooses the key from the protected header's `kid` among keys the caller already trusts. Header fields that
   * name a key source (`jku`, `x5u`, `jwk`) are never consulted.
   */
  keyFor: (header: JWSHeaderParameters) => VerificationKey | undefined | Promise<VerificationKey | undefined>;
  issuer?: string | string[];
  audience?: string | string[];
  /** Seconds of allowed clock skew for exp/nbf. */
  clockToleranceSec?: number;
  now: () => number;
  /** Our own tokens: refuse an ES256 signature with a high s (its malleated twin); see security/ecdsa.ts. */
  requireLowS?: boolean;
}

export type VerifyJwtResult =
  | { ok: true; payload: JWTPayload; header: JWSHeaderParameters }
  | {
      ok: false;
      code: ErrorCode;
      /**
       * Why, for callers that report finer codes: a jose error code, `claim:<name>` for a failed claim check, or
       * `key-source-in-header`.
       */
      reason: string;
      /** Only when the signature was valid and a claim (exp, nbf, iss …) failed: it may be trusted to name a subject. */
      payload?: JWTPayload;
    };

const KEY_SOURCE_IN_HEADER = "key source in header is not accepted";

/** The one JWT verification function: algorithm allow-list, signature, issuer, audience, exp and nbf. */
export async function verifyJwt(token: string, options: VerifyJwtOptions): Promise<VerifyJwtResult> {
  if (token.length > 16_384) return { ok: false, code: "InvalidToken", reason: "token too long" };
  if (options.requireLowS === true && hasHighSEs256Signature(token)) return { ok: false, code: "InvalidToken", reason: "high-s" };
  try {
    const { payload, protectedHeader } = await jwtVerify(
      token,
      async (header) => {
        if (header.jwk !== undefined || header.jku !== undefined || header.x5u !== undefined) {
          throw new errors.JWSInvalid(KEY_SOURCE_IN_HEADER);
        }
        const key = await options.keyFor(header);
        if (key === undefined) throw new errors.JWKSNoMatchingKey();
        return key;
      },
      {
        algorithms: [...options.algorithms],
        ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
        ...(options.audience !== undefined ? { audience: options.audience } : {}),
        clockTolerance: options.clockToleranceSec ?? 0,
        currentDate: new Date(options.now()),
        requiredClaims: ["exp"],
      },
    );
    return { ok: true, payload, header: protectedHeader };
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, code: "TokenExpired", reason: "expired", payload: err.payload };
    if (err instanceof errors.JWTClaimValidationFailed && err.claim === "nbf") {
      return { ok: false, code: "TokenNotYetValid", reason: "not yet valid", payload: err.payload };
    }
    if (err instanceof errors.JWTClaimValidationFailed) return { ok: false, code: "InvalidToken", reason: `claim:${err.claim}`, payload: err.payload };
    if (err instanceof errors.JWSInvalid && err.message === KEY_SOURCE_IN_HEADER) {
      return { ok: false, code: "InvalidToken", reason: "key-source-in-header" };
    }
    const reason = err instanceof errors.JOSEError ? err.code : "malformed";
    return { ok: false, code: "InvalidToken", reason };
  }
}
