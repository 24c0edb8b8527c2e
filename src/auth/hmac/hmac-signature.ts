import { createHash, createHmac, type KeyObject } from "node:crypto";

/** The only SignedHeaders value the ACS SDKs send (docs/wire-reference.md §3). */
export const SIGNED_HEADERS = "x-ms-date;host;x-ms-content-sha256";
export const HMAC_SCHEME = "HMAC-SHA256";
const AUTHORIZATION_PATTERN = /^HMAC-SHA256 SignedHeaders=([^&]+)&Signature=(.+)$/;

export interface ParsedHmacAuthorization {
  signedHeaders: string;
  signature: string;
}

export function parseHmacAuthorization(header: string): ParsedHmacAuthorization | undefined {
  const match = AUTHORIZATION_PATTERN.exec(header);
  return match === null ? undefined : { signedHeaders: match[1]!, signature: match[2]! };
}

/**
 * The path and query exactly as the SDK signed them: the raw path (still percent-encoded) and the query
 * re-serialised by URLSearchParams, which is what `communicationAccessKeyCredentialPolicy` does.
 */
export function signedPathAndQuery(rawUrl: string): string {
  const q = rawUrl.indexOf("?");
  if (q === -1) return rawUrl;
  const query = new URLSearchParams(rawUrl.slice(q + 1)).toString();
  const path = rawUrl.slice(0, q);
  return query === "" ? path : `${path}?${query}`;
}

export function buildStringToSign(method: string, rawUrl: string, date: string, host: string, contentHash: string): string {
  return `${method.toUpperCase()}\n${signedPathAndQuery(rawUrl)}\n${date};${host};${contentHash}`;
}

export function computeHmacSignature(key: Buffer | KeyObject, stringToSign: string): string {
  return createHmac("sha256", key).update(stringToSign, "utf8").digest("base64");
}

/** Signs a request the way the SDK does; used by tests, the CLI's own client and benchmarks. */
export function signRequest(options: {
  method: string;
  url: URL;
  body: string | Buffer;
  accessKey: string;
  date?: Date;
}): Record<string, string> {
  const date = (options.date ?? new Date()).toUTCString();
  const contentHash = createHash("sha256").update(options.body).digest("base64");
  const rawUrl = `${options.url.pathname}${options.url.search}`;
  const stringToSign = buildStringToSign(options.method, rawUrl, date, options.url.host, contentHash);
  const signature = computeHmacSignature(Buffer.from(options.accessKey, "base64"), stringToSign);
  return {
    "x-ms-date": date,
    "x-ms-content-sha256": contentHash,
    authorization: `${HMAC_SCHEME} SignedHeaders=${SIGNED_HEADERS}&Signature=${signature}`,
  };
}
