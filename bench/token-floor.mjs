// How far getToken can run ahead of createUserAndToken on this machine: Switchboard beside the floor of the two
// operations (bench/token-floor-server.cjs: the HMAC check, the durable insert through the same group commit, the
// ES256 signature on the pool, and nothing else), on raw node:http and on fastify, and Switchboard with its activity
// record and request log line off, alternated round by round.
// For each: req/s, the getToken/create ratio, and CPU per request on the server's request thread, on its other
// threads (libuv's pool: signatures, fdatasync; worker threads) and in the load generator, with the machine's idle share.
// Usage: npm run build && node bench/token-floor.mjs [--duration 8] [--rounds 3]
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  freePort,
  idleShare,
  keysOf,
  load,
  loadWithCpu,
  median,
  ratio,
  root,
  spawnChild,
  startSwitchboard,
  stop,
  tempDir,
  tokenRequests,
  waitForHttp,
} from "./lib.mjs";

const { values } = parseArgs({ options: { duration: { type: "string", default: "8" }, rounds: { type: "string", default: "3" } } });
const duration = Number(values.duration);
const rounds = Number(values.rounds);

async function startFloor(framework) {
  const port = await freePort();
  const accessKey = randomBytes(32).toString("base64");
  // libuv's pool sized as the switchboard binary sizes it (scripts/bundle-cli.mjs).
  const child = spawnChild(process.execPath, [path.join(root, "bench/token-floor-server.cjs"), tempDir("switchboard-floor-"), String(port), accessKey, framework], {
    UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(Math.max(2, availableParallelism())),
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(base);
  return { child, requests: await tokenRequests(base, accessKey) };
}

async function startSwitchboardFor(label, env = {}) {
  const sb = await startSwitchboard({ env });
  return { label, child: sb.child, requests: await tokenRequests(sb.base, (await keysOf(sb.dataDir)).primaryKey) };
}

const servers = [];
servers.push(await startSwitchboardFor("Switchboard"));
// What the activity record and the request log line cost these two operations: both off (not a supported way to run).
servers.push(await startSwitchboardFor("Switchboard, no activity record or request line", { SWITCHBOARD_ACTIVITY_ENABLED: "off", SWITCHBOARD_LOG_LEVEL: "warn" }));
servers.push({ label: "floor, fastify", ...(await startFloor("fastify")) });
servers.push({ label: "floor, node:http", ...(await startFloor("raw")) });

for (const s of servers) {
  await load(s.requests.create, { duration: 2 });
  await load(s.requests.getToken, { duration: 2 });
  s.runs = [];
}
for (let i = 0; i < rounds; i++) {
  for (const s of i % 2 === 0 ? servers : [...servers].reverse()) {
    const run = {};
    for (const kind of i % 2 === 0 ? ["create", "getToken"] : ["getToken", "create"]) {
      const idle = idleShare();
      run[kind] = await loadWithCpu(s.requests[kind], s.child.pid, { duration });
      run[kind].idleShare = Math.round(idleShare(idle).share * 1000) / 1000;
    }
    run.ratio = ratio(run.getToken.rps, run.create.rps);
    s.runs.push(run);
    const line = (r) => `${r.rps} req/s, µs/request: request thread ${r.mainUsPerRequest}, other threads ${r.cpuUsPerRequest - r.mainUsPerRequest}, load generator ${r.generatorUsPerRequest}; idle ${Math.round(r.idleShare * 100)} %`;
    console.log(`round ${i + 1} ${s.label}: create ${line(run.create)} | getToken ${line(run.getToken)} | getToken/create ${run.ratio}`);
  }
}
for (const s of servers) await stop(s.child);

const summarize = (runs, kind) => ({
  rps: median(runs.map((r) => r[kind].rps)),
  mainUsPerRequest: median(runs.map((r) => r[kind].mainUsPerRequest)),
  otherUsPerRequest: median(runs.map((r) => r[kind].cpuUsPerRequest - r[kind].mainUsPerRequest)),
  generatorUsPerRequest: median(runs.map((r) => r[kind].generatorUsPerRequest)),
});
const summary = {
  date: new Date().toISOString(),
  duration,
  connections: 50,
  servers: servers.map((s) => ({
    label: s.label,
    ratios: s.runs.map((r) => r.ratio),
    medianRatio: median(s.runs.map((r) => r.ratio)),
    create: summarize(s.runs, "create"),
    getToken: summarize(s.runs, "getToken"),
  })),
};
mkdirSync(path.join(root, "bench/out"), { recursive: true });
writeFileSync(path.join(root, "bench/out/token-floor.json"), JSON.stringify(summary, null, 2));
for (const s of summary.servers) {
  console.log(
    `SUMMARY ${s.label}: getToken/create median ${s.medianRatio} (rounds ${s.ratios.join(", ")}); request thread µs/request getToken ${s.getToken.mainUsPerRequest} vs create ${s.create.mainUsPerRequest} (difference ${s.create.mainUsPerRequest - s.getToken.mainUsPerRequest}); all server threads ${s.getToken.mainUsPerRequest + s.getToken.otherUsPerRequest} vs ${s.create.mainUsPerRequest + s.create.otherUsPerRequest}; load generator ${s.getToken.generatorUsPerRequest} vs ${s.create.generatorUsPerRequest}`,
  );
}
