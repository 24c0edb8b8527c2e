// PostgreSQL scale-out benchmark: the foundation's createUserAndToken (HMAC-signed, 50 connections) on
//   - SQLite, one process (the default; the reference figure of bench/foundation.mjs),
//   - PostgreSQL, one replica, directly and behind nginx,
//   - PostgreSQL, two replicas behind nginx (round robin),
// in one run on this machine. The PostgreSQL variants are started by deploy/start-replicas.sh, exactly as documented.
// Besides req/s it measures the server's CPU time per request: utime+stime of each Switchboard process
// (/proc/<pid>/stat, all threads) before and after each load window, divided by the requests completed in it. That,
// not req/s on this crowded machine, is what decides how replicas scale: projected req/s per core = 1 s / CPU per request.
// Rounds alternate the variants (SQLite, PostgreSQL, …) so that drift on a shared machine hits all alike.
// Usage: npm run build && node bench/postgres.mjs [--duration 10] [--rounds 3] [--only-direct]
//   --only-direct: SQLite and one PostgreSQL replica only (the ratio pair), no nginx variants.
//   SWITCHBOARD_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test): each variant gets a fresh schema.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { acsHmacHeaders, freePort, keysOf, load, ratio, root, startSwitchboard, stop, tempDir } from "./lib.mjs";

const { values } = parseArgs({
  options: { duration: { type: "string", default: "10" }, rounds: { type: "string", default: "3" }, "only-direct": { type: "boolean", default: false } },
});
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const baseUrl = process.env.SWITCHBOARD_BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const body = JSON.stringify({ createTokenWithScopes: ["chat", "voip"] });

function createUserAndToken(base, accessKey) {
  const url = `${base}/identities?api-version=2023-10-01`;
  return { url, method: "POST", body, headers: acsHmacHeaders("POST", url, body, accessKey) };
}

/** utime+stime of a process (all its threads), in ms. */
const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat(5); fields[0] here is field 3.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}
const cpuOf = (pids) => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);

async function probe(request) {
  const res = await fetch(request.url, { method: "POST", body, headers: request.headers });
  if (res.status !== 201) throw new Error(`createUserAndToken probe at ${request.url}: ${res.status} ${await res.text()}`);
}

async function freshSchemaUrl() {
  const schema = `sb_bench_${randomBytes(4).toString("hex")}`;
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  const url = new URL(baseUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return { url: url.toString(), schema };
}

async function dropSchema(schema) {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  await client.query(`drop schema ${schema} cascade`);
  await client.end();
}

/** deploy/start-replicas.sh with a generated env file; returns the LB and replica URLs and a stop function. */
async function deployReplicas(n) {
  const { url, schema } = await freshSchemaUrl();
  const dir = tempDir("switchboard-bench-deploy-");
  const lbPort = await freePort();
  const basePort = 20000 + Math.floor(Math.random() * 20000);
  const primaryKey = randomBytes(32).toString("base64");
  writeFileSync(
    path.join(dir, "switchboard.env"),
    [
      `SWITCHBOARD_DATABASE_URL=${url}`,
      `SWITCHBOARD_PRIMARY_KEY=${primaryKey}`,
      // Request log at info, as the SQLite variant: each replica writes it to its replica-N.out file.
      "SWITCHBOARD_LOG_LEVEL=info",
      `LB_PORT=${lbPort}`,
      `REPLICA_BASE_PORT=${basePort}`,
      "",
    ].join("\n"),
  );
  const runDir = path.join(dir, "run");
  execFileSync(path.join(root, "deploy/start-replicas.sh"), [String(n), path.join(dir, "switchboard.env"), runDir], { stdio: "inherit" });
  const stopAll = async () => {
    execFileSync(path.join(root, "deploy/stop-replicas.sh"), [runDir], { stdio: "inherit" });
    await dropSchema(schema);
  };
  process.on("exit", () => {
    try {
      execFileSync(path.join(root, "deploy/stop-replicas.sh"), [runDir], { stdio: "ignore" });
    } catch {}
  });
  const pids = Array.from({ length: n }, (_, i) => Number(readFileSync(path.join(runDir, `replica-${i}.pid`), "utf8").trim()));
  return { pids, lb: `http://127.0.0.1:${lbPort}`, replicas: Array.from({ length: n }, (_, i) => `http://127.0.0.1:${basePort + i}`), primaryKey, stop: stopAll };
}

/** One replica started directly (no nginx): the ratio pair's PostgreSQL side when nginx is not installed. */
async function directReplica() {
  const { url, schema } = await freshSchemaUrl();
  const primaryKey = randomBytes(32).toString("base64");
  const server = await startSwitchboard({ env: { SWITCHBOARD_DATABASE_URL: url, SWITCHBOARD_PRIMARY_KEY: primaryKey } });
  return {
    pids: [server.child.pid],
    replicas: [server.base],
    primaryKey,
    stop: async () => {
      await stop(server.child);
      await dropSchema(schema);
    },
  };
}

const hasNginx = (() => {
  try {
    execFileSync("sh", ["-c", `command -v "\${NGINX:-nginx}" || test -x /usr/sbin/nginx`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!hasNginx && !values["only-direct"]) console.log("nginx not found: measuring SQLite and one PostgreSQL replica directly (--only-direct)");
const onlyDirect = values["only-direct"] || !hasNginx;
const sqlite = await startSwitchboard();
const sqliteKeys = await keysOf(sqlite.dataDir);
const one = onlyDirect ? await directReplica() : await deployReplicas(1);
const two = onlyDirect ? undefined : await deployReplicas(2);
const SQLITE = "SQLite, 1 process (synchronous=FULL, group commit)";
const PG = "PostgreSQL, 1 replica, direct";
// [name, request, pids of the Switchboard processes serving it]
const variants = [
  [SQLITE, createUserAndToken(sqlite.base, sqliteKeys.primaryKey), [sqlite.child.pid]],
  [PG, createUserAndToken(one.replicas[0], one.primaryKey), one.pids],
  ...(onlyDirect
    ? []
    : [
        ["PostgreSQL, 1 replica behind nginx", createUserAndToken(one.lb, one.primaryKey), one.pids],
        ["PostgreSQL, 2 replicas behind nginx (round robin)", createUserAndToken(two.lb, two.primaryKey), two.pids],
      ]),
];

// Warm up each, then alternate the variants round by round so that drift on this shared machine hits all alike.
for (const [, request] of variants) {
  await probe(request);
  await load(request, { duration: 2 });
}
const runs = new Map(variants.map(([name]) => [name, []]));
const loads = [];
for (let i = 0; i < rounds; i++) {
  for (const [name, request, pids] of variants) {
    const cpuBefore = cpuOf(pids);
    const r = await load(request, { duration });
    const cpuAfter = cpuOf(pids);
    // Completed requests (2xx and not): the server spent its CPU on each.
    r.cpuUsPerRequest = Math.round(((cpuAfter - cpuBefore) * 1000) / Math.max(1, r.total));
    r.load1 = Math.round(loadavg()[0] * 100) / 100;
    loads.push(r.load1);
    runs.get(name).push(r);
    console.log(
      `round ${i + 1} ${name}: ${r.rps} req/s, server CPU ${r.cpuUsPerRequest} µs/request (p50 ${r.p50} ms, p99 ${r.p99} ms, failures ${r.failures}, load ${r.load1})`,
    );
  }
}
await stop(sqlite.child);
await one.stop();
await two?.stop();

const medianBy = (xs) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
const median = (rs) => [...rs].sort((x, y) => x.rps - y.rps)[Math.floor((rs.length - 1) / 2)];
const figures = variants.map(([name]) => {
  const rs = runs.get(name);
  const cpuUsPerRequest = medianBy(rs.map((r) => r.cpuUsPerRequest));
  return {
    name,
    ...median(rs),
    cpuUsPerRequest,
    perCore: Math.round(1_000_000 / cpuUsPerRequest),
    rounds: rs.map((r) => r.rps),
    cpuRounds: rs.map((r) => r.cpuUsPerRequest),
  };
});
const s = figures.find((f) => f.name === SQLITE);
const p = figures.find((f) => f.name === PG);
// Per-round ratios (each PostgreSQL round against the SQLite round just before it), then their median.
const rpsRatio = medianBy(runs.get(PG).map((r, i) => r.rps / runs.get(SQLITE)[i].rps));
const cpuRatio = medianBy(runs.get(PG).map((r, i) => r.cpuUsPerRequest / runs.get(SQLITE)[i].cpuUsPerRequest));
const summary = {
  date: new Date().toISOString(),
  duration,
  rounds,
  connections: 50,
  loadAverage: { min: Math.min(...loads), max: Math.max(...loads) },
  rpsRatio: ratio(rpsRatio, 1),
  cpuRatio: ratio(cpuRatio, 1),
  figures,
};
mkdirSync(path.join(root, "bench/out"), { recursive: true });
writeFileSync(path.join(root, "bench/out/postgres.json"), JSON.stringify(summary, null, 2));
console.log(
  "\n| variant | req/s (median) | rounds | server CPU µs/request (median) | projected req/s per core | p50 ms | p99 ms | failures |\n|---|---:|---|---:|---:|---:|---:|---:|",
);
for (const f of figures) {
  console.log(`| ${f.name} | ${f.rps} | ${f.rounds.join(", ")} | ${f.cpuUsPerRequest} (${f.cpuRounds.join(", ")}) | ${f.perCore} | ${f.p50} | ${f.p99} | ${f.failures} |`);
}
console.log(
  `\nSUMMARY postgres/sqlite createUserAndToken (median of per-round ratios): req/s ${summary.rpsRatio}× (target ≥ 0.7; medians ${p.rps} vs ${s.rps}), ` +
    `server CPU per request ${summary.cpuRatio}× (target ≤ 1.3; medians ${p.cpuUsPerRequest} vs ${s.cpuUsPerRequest} µs), ` +
    `projected per core ${p.perCore} vs ${s.perCore} req/s; load average ${summary.loadAverage.min}–${summary.loadAverage.max} on ${availableParallelism()} cores`,
);
