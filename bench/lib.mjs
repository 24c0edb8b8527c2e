// Shared pieces of the benchmarks: child processes, Azurite with a SharedKey-signed request, autocannon runs.
import { execFileSync, spawn } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const benchDir = path.join(root, "bench");

/**
 * The baselines and the load generator (azurite, autocannon) are not dependencies of the server: they live in
 * bench/package.json and are installed into bench/node_modules the first time a benchmark runs.
 */
function ensureBenchDependencies() {
  if (existsSync(path.join(benchDir, "node_modules", "autocannon")) && existsSync(path.join(benchDir, "node_modules", "azurite"))) return;
  console.error("bench: installing the benchmark tools (bench/package.json) into bench/node_modules …");
  execFileSync("npm", ["ci", "--prefix", benchDir, "--no-audit", "--no-fund"], { stdio: "inherit" });
}
ensureBenchDependencies();
const { default: autocannon } = await import("autocannon");
const bin = (name) => path.join(benchDir, "node_modules", ".bin", name);

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitForHttp(url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not come up`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Spawns a child that is killed when this process exits. */
export function spawnChild(command, args, env = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "inherit"] });
  process.on("exit", () => child.kill("SIGKILL"));
  return child;
}

export function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
  });
}

// ---- Azurite (the baseline) ----
const AZURITE_ACCOUNT = "devstoreaccount1";
// Azurite's published well-known development key.
const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const STORAGE_VERSION = "2021-08-06";

/** SharedKey headers for a blob request (https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key). */
function sharedKeyHeaders(method, url, contentLength = "") {
  const u = new URL(url);
  const date = new Date().toUTCString();
  const canonicalHeaders = `x-ms-date:${date}\nx-ms-version:${STORAGE_VERSION}\n`;
  const params = [...u.searchParams.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `\n${k.toLowerCase()}:${v}`);
  const canonicalResource = `/${AZURITE_ACCOUNT}${u.pathname}${params.join("")}`;
  const stringToSign = [method, "", "", contentLength, "", "", "", "", "", "", "", ""].join("\n") + "\n" + canonicalHeaders + canonicalResource;
  const signature = createHmac("sha256", Buffer.from(AZURITE_KEY, "base64")).update(stringToSign, "utf8").digest("base64");
  return { "x-ms-date": date, "x-ms-version": STORAGE_VERSION, authorization: `SharedKey ${AZURITE_ACCOUNT}:${signature}` };
}

export async function startAzurite() {
  const port = await freePort();
  const child = spawnChild(bin("azurite-blob"), ["--blobHost", "127.0.0.1", "--blobPort", String(port), "--inMemoryPersistence", "--silent", "--disableTelemetry"]);
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(base);
  const containerUrl = `${base}/${AZURITE_ACCOUNT}/bench?restype=container`;
  const created = await fetch(containerUrl, { method: "PUT", headers: sharedKeyHeaders("PUT", containerUrl) });
  if (created.status !== 201) throw new Error(`azurite create container: ${created.status} ${await created.text()}`);
  // One signed request, replayed by the load generator (x-ms-date stays valid for 15 minutes).
  const headers = sharedKeyHeaders("GET", containerUrl);
  const check = await fetch(containerUrl, { headers });
  if (check.status !== 200) throw new Error(`azurite signed GET: ${check.status}`);
  return { child, request: { url: containerUrl, method: "GET", headers } };
}

// ---- Switchboard ----
/**
 * The node flags a `switchboard` binary runs with: those of its `#!/usr/bin/env -S node …` line (scripts/bundle-cli.mjs).
 * The benchmarks start it with process.execPath and these, as the binary starts itself (and its code caches want).
 */
export function nodeFlagsOf(mainJs) {
  const first = readFileSync(mainJs, "utf8").split("\n", 1)[0];
  const m = /^#!\/usr\/bin\/env -S node\s+(.*)$/.exec(first);
  return m === null ? [] : m[1].split(/\s+/).filter(Boolean);
}

/**
 * The builds a start-up benchmark compares, as [label, main.js] pairs: each `--baseline [label=]path/to/dist/cli/main.js`
 * of `args` (repeatable; a copy of dist/ outside dist/, e.g. .builds/<label>/dist/, still finds node_modules above it),
 * then this tree's build.
 */
export function buildsToCompare(args) {
  const builds = [];
  args.forEach((a, i) => {
    if (a !== "--baseline") return;
    const [label, file] = args[i + 1].includes("=") ? args[i + 1].split("=") : [`baseline ${builds.length + 1}`, args[i + 1]];
    builds.push([label, path.resolve(file)]);
  });
  builds.push(["this build", path.join(root, "dist/cli/main.js")]);
  return builds;
}

export async function startSwitchboard({ env = {}, args = [], nodeArgs = [], dataDir: existingDataDir, mainJs = path.join(root, "dist/cli/main.js") } = {}) {
  const port = await freePort();
  const httpPort = await freePort();
  const dataDir = existingDataDir ?? mkdtempSync(path.join(tmpdir(), "switchboard-bench-"));
  const child = spawnChild(process.execPath, [...nodeFlagsOf(mainJs), ...nodeArgs, mainJs, "start", "--data-dir", dataDir, "--port", String(port), "--http-port", String(httpPort), ...args], {
    SWITCHBOARD_LOG_FILE: path.join(dataDir, "server.log"),
    ...env,
  });
  const base = `http://127.0.0.1:${httpPort}`;
  await waitForHttp(`${base}/health/live`);
  return { child, base, dataDir, httpPort, port };
}

/** HMAC headers exactly as communicationAccessKeyCredentialPolicy computes them. */
export function acsHmacHeaders(method, url, body, accessKey) {
  const u = new URL(url);
  const date = new Date().toUTCString();
  const hash = createHash("sha256").update(body).digest("base64");
  const query = u.searchParams.toString();
  const stringToSign = `${method}\n${u.pathname}${query ? `?${query}` : ""}\n${date};${u.host};${hash}`;
  const signature = createHmac("sha256", Buffer.from(accessKey, "base64")).update(stringToSign, "utf8").digest("base64");
  return {
    "x-ms-date": date,
    "x-ms-content-sha256": hash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
    "content-type": "application/json",
  };
}

/** The two signed requests (each replayed by the load generator), probed once. */
export async function tokenRequests(base, primaryKey) {
  const createBody = JSON.stringify({ createTokenWithScopes: ["chat", "voip"] });
  const createUrl = `${base}/identities?api-version=2023-10-01`;
  const create = { url: createUrl, method: "POST", body: createBody, headers: acsHmacHeaders("POST", createUrl, createBody, primaryKey) };
  const probe = await fetch(createUrl, { method: "POST", body: createBody, headers: create.headers });
  if (probe.status !== 201) throw new Error(`createUserAndToken probe: ${probe.status} ${await probe.text()}`);
  const { identity } = await probe.json();
  const tokenBody = JSON.stringify({ scopes: ["chat", "voip"] });
  const tokenUrl = `${base}/identities/${encodeURIComponent(identity.id)}/:issueAccessToken?api-version=2023-10-01`;
  const getToken = { url: tokenUrl, method: "POST", body: tokenBody, headers: acsHmacHeaders("POST", tokenUrl, tokenBody, primaryKey) };
  const check = await fetch(tokenUrl, { method: "POST", body: tokenBody, headers: getToken.headers });
  if (check.status !== 200) throw new Error(`getToken probe: ${check.status} ${await check.text()}`);
  return { create, getToken };
}

export async function keysOf(dataDir, extraArgs = []) {
  const { execFileSync } = await import("node:child_process");
  const out = execFileSync(process.execPath, [...nodeFlagsOf(path.join(root, "dist/cli/main.js")), path.join(root, "dist/cli/main.js"), "keys", "list", "--json", "--data-dir", dataDir, ...extraArgs], { encoding: "utf8" });
  return JSON.parse(out);
}

/**
 * One bounded load run; returns throughput and latency percentiles (ms). `rate`: offer this many requests per second
 * in all (autocannon's overallRate) instead of as many as the server takes.
 */
export async function load(request, { duration = 10, connections = 50, rate } = {}) {
  const result = await autocannon({ ...request, duration, connections, pipelining: 1, ...(rate !== undefined ? { overallRate: rate } : {}) });
  const non2xx = result.non2xx + result.errors + result.timeouts;
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    failures: non2xx,
  };
}

/** CPU time (user + system, ms) the process has used so far, from /proc (Linux); undefined elsewhere. */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return undefined;
  }
}

/** Resident set size (MB) from /proc/<pid>/status VmRSS; undefined elsewhere. */
export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? undefined : Math.round(Number(m[1]) / 1024);
  } catch {
    return undefined;
  }
}

/** CPU time (ms) of the process's request thread (its main thread, whose id is the pid) from /proc; undefined elsewhere. */
export function mainThreadCpuMs(pid) {
  return cpuMs(`${pid}/task/${pid}`);
}

/** The share of the machine's CPU time that was idle since `since` (a reading of /proc/stat; omit it for a first reading). */
export function idleShare(since) {
  const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].split(/\s+/).slice(1).map(Number);
  const now = { idle: fields[3] + fields[4], total: fields.reduce((a, b) => a + b, 0) };
  return since === undefined ? now : { ...now, share: (now.idle - since.idle) / (now.total - since.total) };
}

/**
 * load() plus CPU time per request (µs) over the run: the server's in all (cpuUsPerRequest) and on its request thread
 * (mainUsPerRequest; the rest is libuv's pool and worker threads), and the load generator's in this process.
 */
export async function loadWithCpu(request, pid, options) {
  const before = cpuMs(pid);
  const mainBefore = mainThreadCpuMs(pid);
  const generatorBefore = process.cpuUsage();
  const result = await load(request, options);
  const after = cpuMs(pid);
  const mainAfter = mainThreadCpuMs(pid);
  const generator = process.cpuUsage(generatorBefore);
  const perRequest = (ms0, ms1) => (ms0 === undefined || ms1 === undefined || result.total === 0 ? undefined : Math.round(((ms1 - ms0) * 1000) / result.total));
  return {
    ...result,
    cpuUsPerRequest: perRequest(before, after),
    mainUsPerRequest: perRequest(mainBefore, mainAfter),
    generatorUsPerRequest: result.total === 0 ? undefined : Math.round((generator.user + generator.system) / result.total),
  };
}

export function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function ratio(a, b) {
  return Math.round((a / b) * 100) / 100;
}

export const tempDir = (prefix) => mkdtempSync(path.join(tmpdir(), prefix));
