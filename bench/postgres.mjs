// PostgreSQL scale-out benchmark: the foundation's createUserAndToken (HMAC-signed, 50 connections) on
//   - SQLite, one process (the default; the reference figure of bench/foundation.mjs),
//   - PostgreSQL, one replica, directly and behind nginx,
//   - PostgreSQL, two replicas behind nginx (round robin),
// in one run on this machine. The PostgreSQL variants are started by deploy/start-replicas.sh, exactly as documented.
// Usage: npm run build && node bench/postgres.mjs [--duration 10] [--rounds 2]
//   SWITCHBOARD_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test): each variant gets a fresh schema.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { acsHmacHeaders, freePort, keysOf, load, root, startSwitchboard, stop, tempDir } from "./lib.mjs";

const { values } = parseArgs({ options: { duration: { type: "string", default: "10" }, rounds: { type: "string", default: "2" } } });
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const baseUrl = process.env.SWITCHBOARD_BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const body = JSON.stringify({ createTokenWithScopes: ["chat", "voip"] });

function createUserAndToken(base, accessKey) {
  const url = `${base}/identities?api-version=2023-10-01`;
  return { url, method: "POST", body, headers: acsHmacHeaders("POST", url, body, accessKey) };
}

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
  return { lb: `http://127.0.0.1:${lbPort}`, replicas: Array.from({ length: n }, (_, i) => `http://127.0.0.1:${basePort + i}`), primaryKey, stop: stopAll };
}

const sqlite = await startSwitchboard();
const sqliteKeys = await keysOf(sqlite.dataDir);
const one = await deployReplicas(1);
const two = await deployReplicas(2);
const variants = [
  ["SQLite, 1 process (synchronous=FULL, group commit)", createUserAndToken(sqlite.base, sqliteKeys.primaryKey)],
  ["PostgreSQL, 1 replica, direct", createUserAndToken(one.replicas[0], one.primaryKey)],
  ["PostgreSQL, 1 replica behind nginx", createUserAndToken(one.lb, one.primaryKey)],
  ["PostgreSQL, 2 replicas behind nginx (round robin)", createUserAndToken(two.lb, two.primaryKey)],
];

// Warm up each, then alternate the variants round by round so that drift on this shared machine hits all alike.
for (const [, request] of variants) {
  await probe(request);
  await load(request, { duration: 2 });
}
const runs = new Map(variants.map(([name]) => [name, []]));
for (let i = 0; i < rounds; i++) {
  for (const [name, request] of variants) {
    const r = await load(request, { duration });
    runs.get(name).push(r);
    console.log(`round ${i + 1} ${name}: ${r.rps} req/s (p50 ${r.p50} ms, p99 ${r.p99} ms, failures ${r.failures})`);
  }
}
await stop(sqlite.child);
await one.stop();
await two.stop();

const median = (rs) => [...rs].sort((x, y) => x.rps - y.rps)[Math.floor((rs.length - 1) / 2)];
const figures = variants.map(([name]) => ({ name, ...median(runs.get(name)), rounds: runs.get(name).map((r) => r.rps) }));
const summary = { date: new Date().toISOString(), duration, rounds, connections: 50, figures };
mkdirSync(path.join(root, "bench/out"), { recursive: true });
writeFileSync(path.join(root, "bench/out/postgres.json"), JSON.stringify(summary, null, 2));
console.log("\n| variant | req/s (median) | rounds | p50 ms | p99 ms | failures |\n|---|---:|---|---:|---:|---:|");
for (const f of figures) console.log(`| ${f.name} | ${f.rps} | ${f.rounds.join(", ")} | ${f.p50} | ${f.p99} | ${f.failures} |`);
