import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext } from "playwright-core";

export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export interface Callback {
  path: string;
  query: Record<string, string>;
  method: string;
  body: string;
}

/** An app's redirect URI: a loopback HTTP server that records what each request brought. */
export interface RedirectReceiver {
  base: string;
  received: Callback[];
  next(timeoutMs?: number): Promise<Callback>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<RedirectReceiver> {
  const received: Callback[] = [];
  const waiters: Array<(c: Callback) => void> = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (url.pathname === "/favicon.ico") return void res.writeHead(404).end();
      const cb = { path: url.pathname, query: Object.fromEntries(url.searchParams), method: req.method ?? "GET", body };
      received.push(cb);
      waiters.shift()?.(cb);
      res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>Signed in</title><h1>Back at the app</h1>");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let seen = 0;
  return {
    base,
    received,
    next: (timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        if (received.length > seen) return resolve(received[seen++]!);
        const timer = setTimeout(() => reject(new Error("no callback")), timeoutMs);
        waiters.push((c) => {
          clearTimeout(timer);
          seen++;
          resolve(c);
        });
      }),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Headless Debian Chromium trusting the test certificate's server (ignoreHTTPSErrors), one context per user. */
export async function launchBrowser(): Promise<{ browser: Browser; newContext(): Promise<BrowserContext>; close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), "switchboard-signin-chromium-"));
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
  return {
    browser,
    newContext: () => browser.newContext({ ignoreHTTPSErrors: true }),
    close: async () => {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
