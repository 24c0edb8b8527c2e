import http from "node:http";
import https from "node:https";
import { readFileSync } from "node:fs";
import { signedFetch } from "../support/signed-fetch.js";
import { startTestServer, type TestServer, type TestServerOptions } from "../support/test-server.js";
import type { BackendName } from "../support/backends.js";

export const API = "api-version=2023-10-01";
export const CHAT_API = "api-version=2024-03-07";

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: any;
}

/**
 * A request built by hand with node:http(s): header values may be arrays (sent as repeated header lines), which
 * fetch cannot do. HTTPS trusts the test certificate.
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer; timeoutMs?: number; agent?: http.Agent; servername?: string } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  const mod = u.protocol === "https:" ? https : http;
  const ca = process.env.SWITCHBOARD_TEST_TLS_CERT;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      {
        method: options.method ?? "GET",
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        headers: options.headers,
        ...(u.protocol === "https:" && ca !== undefined ? { ca: readFileSync(ca) } : {}),
        timeout: options.timeoutMs ?? 10_000,
        ...(options.agent !== undefined ? { agent: options.agent } : {}),
        // With another Host header (a second resource), the certificate is still checked against this name.
        ...(options.servername !== undefined ? { servername: options.servername } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = text === "" ? undefined : JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export async function startServer(backend: BackendName, options: TestServerOptions = {}): Promise<TestServer> {
  return startTestServer({ ...options, backend });
}

export function accessKey(srv: TestServer): string {
  return srv.currentResource().keys.primary.value;
}

/** A new identity of the server's default resource, with a user token for `scopes`. */
export async function newUser(srv: TestServer, scopes: string[] = ["chat", "voip"]): Promise<{ id: string; token: string }> {
  const res = await signedFetch(`${srv.httpUrl}/identities?${API}`, {
    method: "POST",
    accessKey: accessKey(srv),
    body: { createTokenWithScopes: scopes },
  });
  if (res.status !== 201) throw new Error(`create identity: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.identity.id, token: res.body.accessToken.token };
}

/** Every error answer must carry the ACS envelope. */
export function expectAcsError(res: { status: number; body: any }, status: number, code?: string): void {
  if (res.status !== status) throw new Error(`expected ${status}${code ? ` ${code}` : ""}, got ${res.status} ${JSON.stringify(res.body)}`);
  if (typeof res.body?.error?.code !== "string" || typeof res.body?.error?.message !== "string") {
    throw new Error(`not an ACS error body: ${JSON.stringify(res.body)}`);
  }
  if (code !== undefined && res.body.error.code !== code) throw new Error(`expected code ${code}, got ${res.body.error.code}`);
}

/** Sends bytes exactly as given on a plain TCP connection (HTTP framing the http module refuses to build). */
export function rawHttp(url: string, text: string | Buffer, timeoutMs = 10_000): Promise<{ status: number; text: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    import("node:net").then(({ connect }) => {
      const socket = connect(Number(u.port), u.hostname);
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => socket.destroy(new Error("raw request timed out")), timeoutMs);
      socket.on("data", (c: Buffer) => chunks.push(c));
      socket.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.on("close", () => {
        clearTimeout(timer);
        const all = Buffer.concat(chunks).toString("utf8");
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(all)?.[1] ?? 0);
        resolve({ status, text: all.slice(all.indexOf("\r\n\r\n") + 4) });
      });
      socket.write(text);
    }, reject);
  });
}
