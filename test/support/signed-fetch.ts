import { signRequest } from "../../src/auth/hmac/hmac-signature.js";

export interface SignedFetchOptions {
  method?: string;
  body?: string | object;
  accessKey: string;
  date?: Date;
  headers?: Record<string, string>;
  /** Mutate the signed headers before sending (negative tests). */
  tamper?: (headers: Record<string, string>) => void;
}

/** A hand-built HMAC-signed request, for the negative cases the SDK cannot produce. Plain http only. */
export async function signedFetch(url: string, options: SignedFetchOptions): Promise<{ status: number; body: any; headers: Headers }> {
  const method = options.method ?? "GET";
  const body = options.body === undefined ? "" : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  const signed = signRequest({ method, url: new URL(url), body, accessKey: options.accessKey, ...(options.date ? { date: options.date } : {}) });
  const headers: Record<string, string> = { "content-type": "application/json", ...signed, ...options.headers };
  options.tamper?.(headers);
  const res = await fetch(url, { method, headers, ...(method === "GET" || method === "HEAD" ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
