import type { KeyObject } from "node:crypto";
import { errors, jwtVerify, type JWTPayload, type JWSHeaderParameters } from "jose";
import type { ErrorCode } from "../http/errors.js";

/** Asymmetric algorithms only: a symmetric or `none` token is refused before any key is looked at. */
export type AllowedAlgorithm = "ES256" | "RS256" | "PS256" | "EdDSA" | "ES384" | "RS384" | "RS512";

export interface VerifyJwtOptions {
  algorithms: readonly AllowedAlgorithm[];
  /**
   * Chooses the key from the protected header's `kid` among keys the caller already trusts. Header fields that
   * name a key source (`jku`, `x5u`, `jwk`) are never consulted.
   */
  keyFor: (header: JWSHeaderParameters) => KeyObject | undefined | Promise<KeyObject | undefined>;
  issuer?: string | string[];
  audience?: string | string[];
  /** Seconds of allowed clock skew for exp/nbf. */
  clockToleranceSec?: number;
  now: () => number;
}

export type VerifyJwtResult =
  | { ok: true; payload: JWTPayload; header: JWSHeaderParameters }
  /** `payload` only when the signature was valid and a claim (exp, nbf, iss …) failed: it may be trusted to name a subject. */
  | { ok: false; code: ErrorCode; reason: string; payload?: JWTPayload };

/** The one JWT verification function: algorithm allow-list, signature, issuer, audience, exp and nbf. */
export async function verifyJwt(token: string, options: VerifyJwtOptions): Promise<VerifyJwtResult> {
  if (token.length > 16_384) return { ok: false, code: "InvalidToken", reason: "token too long" };
  try {
    const { payload, protectedHeader } = await jwtVerify(
      token,
      async (header) => {
        if (header.jwk !== undefined || header.jku !== undefined || header.x5u !== undefined) {
          throw new errors.JWSInvalid("key source in header is not accepted");
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
    if (err instanceof errors.JWTClaimValidationFailed) return { ok: false, code: "InvalidToken", reason: err.code, payload: err.payload };
    const reason = err instanceof errors.JOSEError ? err.code : "malformed";
    return { ok: false, code: "InvalidToken", reason };
  }
}
