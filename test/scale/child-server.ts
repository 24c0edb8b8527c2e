import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { signedFetch } from "../support/signed-fetch.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const cliPath = path.join(repoRoot, "dist/cli/main.js");
export const API = "api-version=2023-10-01";

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * These tests run the real CLI (`node dist/cli/main.js`). `npm test` builds first; when a test file runs alone and
 * dist/ is missing or older than src/, it is built here (one builder at a time across test workers).
 */
export async function ensureBuilt(): Promise<void> {
  const fresh = (): boolean => {
    try {
      return statSync(cliPath).mtimeMs >= newestMtime(path.join(repoRoot, "src"));
    } catch {
      return false;
    }
  };
  if (fresh()) return;
  const lock = path.join(tmpdir(), `switchboard-build-${Buffer.from(repoRoot).toString("hex").slice(-32)}.lock`);
  for (let i = 0; i < 600; i++) {
    let fd: number | undefined;
    try {
      fd = openSync(lock, "wx");
    } catch {
      await new Promise((r) => setTimeout(r, 200));
      if (fresh()) return;
      continue;
    }
    try {
      if (!fresh()) {
        execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: repoRoot, stdio: "inherit" });
        execFileSync(process.execPath, ["scripts/bundle-cli.mjs"], { cwd: repoRoot, stdio: "inherit" });
      }
      return;
    } finally {
      closeSync(fd);
      rmSync(lock, { force: true });
    }
  }
  throw new Error("timed out waiting for another worker's build");
}

export interface ChildServer {
  proc: ChildProcess;
  pid: number;
  httpUrl: string;
  httpsUrl: string;
  dataDir: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** True until the process exits. */
  alive(): boolean;
  stop(): Promise<void>;
}

export interface ChildServerOptions {
  databaseUrl?: string;
  dataDir?: string;
  primaryKey: string;
  secondaryKey: string;
  env?: Record<string, string>;
}

/** Starts `switchboard start` as a child process on random ports and waits for its banner. */
export async function startChildServer(options: ChildServerOptions): Promise<ChildServer> {
  await ensureBuilt();
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), "switchboard-child-"));
  // The request log goes where the end-of-run secret scan looks (test/global-setup.ts), with the keys to look for.
  const logDir = process.env.SWITCHBOARD_TEST_LOG_DIR ?? dataDir;
  const runId = randomUUID();
  writeFileSync(path.join(logDir, `secrets-child-${runId}.json`), JSON.stringify([options.primaryKey, options.secondaryKey]));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    SWITCHBOARD_PRIMARY_KEY: options.primaryKey,
    SWITCHBOARD_SECONDARY_KEY: options.secondaryKey,
    SWITCHBOARD_LOG_LEVEL: "info",
    SWITCHBOARD_LOG_FILE: path.join(logDir, `child-${runId}.log`),
    ...(options.databaseUrl !== undefined ? { SWITCHBOARD_DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  };
  const proc = spawn(process.execPath, [cliPath, "start", "--data-dir", dataDir, "--port", "0", "--http-port", "0"], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  let exitedFlag = false;
  const exited = new Promise<number | string>((resolve) =>
    proc.on("exit", (code, signal) => {
      exitedFlag = true;
      resolve(code ?? signal ?? "unknown");
    }),
  );
  const banner = await new Promise<{ http: string; https: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 60 s:\n${out}`)), 60_000);
    const check = (): void => {
      const http = /HTTP:\s+(http:\/\/\S+?)\/\s/.exec(out);
      const https = /HTTPS:\s+(https:\/\/\S+?)\/\s/.exec(out);
      if (http !== null && https !== null) {
        clearTimeout(timer);
        resolve({ http: http[1]!, https: https[1]! });
      }
    };
    proc.stdout!.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before it was ready:\n${out}`));
    });
  });
  return {
    proc,
    pid: proc.pid!,
    httpUrl: banner.http,
    httpsUrl: banner.https,
    dataDir,
    output: () => out,
    exited,
    alive: () => !exitedFlag,
    async stop() {
      if (exitedFlag) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a CLI command to completion; resolves with its stdout, rejects with its stderr on a non-zero exit. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<string> {
  await ensureBuilt();
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [cliPath, ...args], { cwd: repoRoot, env: { PATH: process.env.PATH ?? "", ...env } });
    let out = "";
    let err = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
    // "close", not "exit": only then has all of stdout been read.
    proc.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`switchboard ${args[0]} exited ${code}: ${err}`))));
  });
}

/** The Identity API calls the scale tests drive (HMAC-signed, plain HTTP). */
export function identityClient(baseUrl: string, accessKey: string) {
  return {
    createWithToken: (scopes: string[] = ["chat"]) =>
      signedFetch(`${baseUrl}/identities?${API}`, { method: "POST", body: { createTokenWithScopes: scopes }, accessKey }),
    revoke: (id: string) =>
      signedFetch(`${baseUrl}/identities/${encodeURIComponent(id)}/:revokeAccessTokens?${API}`, { method: "POST", accessKey }),
    remove: (id: string) => signedFetch(`${baseUrl}/identities/${encodeURIComponent(id)}?${API}`, { method: "DELETE", accessKey }),
    issueToken: (id: string) =>
      signedFetch(`${baseUrl}/identities/${encodeURIComponent(id)}/:issueAccessToken?${API}`, {
        method: "POST",
        body: { scopes: ["chat"] },
        accessKey,
      }),
    introspect: (token: string) => signedFetch(`${baseUrl}/tokens/:introspect?${API}`, { method: "POST", body: { token }, accessKey }),
  };
}

/** Polls `probe` until it returns true or `ms` elapse; resolves with the elapsed milliseconds, or undefined. */
export async function timeUntil(probe: () => Promise<boolean>, ms: number, since = performance.now()): Promise<number | undefined> {
  for (;;) {
    if (await probe()) return performance.now() - since;
    if (performance.now() - since > ms) return undefined;
    await new Promise((r) => setTimeout(r, 5));
  }
}
