import { verifyJwt } from "../auth/jwt.js";
import { entraError, type EntraError } from "../errors/entra-errors.js";
import type { Clock } from "../util/clock.js";
import { describeCertificate } from "./client-certificate.js";
import type { PrincipalRecord } from "./entra-principals.js";

export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const MAX_SKEW_SEC = 300;

export type AssertionCheck = { ok: true } | { ok: false; failure: EntraError };

/**
 * The certificate credential (RFC 7523), as MSAL's ClientCertificateCredential sends it: a JWT signed with the
 * certificate's private key (PS256 with `x5t#S256`, or RS256 with `x5t`), `iss` = `sub` = client id, `aud` = the
 * token endpoint. The key is the registered certificate's, chosen by thumbprint; nothing in the header is trusted.
 */
export async function verifyClientAssertion(
  assertion: string,
  principal: PrincipalRecord,
  audiences: string[],
  clock: Clock,
): Promise<AssertionCheck> {
  if (principal.certificatePem === null) {
    return { ok: false, failure: entraError("NoCertificateCredential") };
  }
  const cert = describeCertificate(principal.certificatePem);
  if (cert.validTo <= clock.now()) {
    return { ok: false, failure: entraError("CertificateExpired") };
  }
  const result = await verifyJwt(assertion, {
    algorithms: ["PS256", "RS256"],
    keyFor: (header) => {
      const byS256 = typeof header["x5t#S256"] === "string" && header["x5t#S256"] === cert.x5tS256;
      const bySha1 = typeof header.x5t === "string" && header.x5t === cert.x5t;
      return byS256 || bySha1 ? cert.publicKey : undefined;
    },
    issuer: principal.clientId!,
    audience: audiences,
    clockToleranceSec: MAX_SKEW_SEC,
    now: () => clock.now(),
  });
  if (!result.ok) {
    if (result.code === "TokenExpired" || result.code === "TokenNotYetValid") {
      return { ok: false, failure: entraError("AssertionOutOfTimeRange") };
    }
    if (result.reason === "claim:aud") {
      return { ok: false, failure: entraError("AssertionAudienceInvalid") };
    }
    return { ok: false, failure: entraError("AssertionSignatureInvalid", result.reason) };
  }
  if (result.payload.sub !== principal.clientId) {
    return { ok: false, failure: entraError("AssertionSubjectMismatch") };
  }
  return { ok: true };
}
