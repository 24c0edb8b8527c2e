import { X509Certificate, type KeyObject } from "node:crypto";

/** A certificate credential for a service principal: the certificate is registered, the private key goes to the client. */
export interface GeneratedCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

export async function generateClientCertificate(commonName: string, now: number, validDays = 365): Promise<GeneratedCertificate> {
  const notAfter = new Date(now + validDays * 24 * 60 * 60_000);
  // selfsigned (slow to load) only when a certificate is actually generated.
  const { generate } = await import("selfsigned");
  const pems = await generate([{ name: "commonName", value: commonName.slice(0, 64) }], {
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: notAfter,
  });
  return { certificatePem: pems.cert, privateKeyPem: pems.private };
}

export interface CertificateInfo {
  publicKey: KeyObject;
  /** `x5t`: base64url SHA-1 thumbprint. */
  x5t: string;
  /** `x5t#S256`: base64url SHA-256 thumbprint. */
  x5tS256: string;
  validFrom: number;
  validTo: number;
}

function thumbprint(colonHex: string): string {
  return Buffer.from(colonHex.replaceAll(":", ""), "hex").toString("base64url");
}

export function describeCertificate(pem: string): CertificateInfo {
  const cert = new X509Certificate(pem);
  return {
    publicKey: cert.publicKey,
    x5t: thumbprint(cert.fingerprint),
    x5tS256: thumbprint(cert.fingerprint256),
    validFrom: Date.parse(cert.validFrom),
    validTo: Date.parse(cert.validTo),
  };
}
