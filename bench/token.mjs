// Token path: HMAC-signed getToken (`POST /identities/{id}/:issueAccessToken`) for an existing identity vs
// createUserAndToken (`POST /identities`), alternated round by round on ONE server (same process, same store).
// Usage: npm run build && node bench/token.mjs [--duration 10] [--rounds 3] [--profile DIR]
//   --profile DIR  runs the server under `node --cpu-prof --cpu-prof-dir DIR` (profile written when it stops)
//   --rate N       offers N requests/s of each kind instead of as many as the server takes: below saturation the
//                  server's CPU per request is what each request costs, without the two cores' contention between the
//                  server and the load generator (both run flat out at saturation)
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadavg } from "node:os";
import { keysOf, tokenRequests, load, loadWithCpu, median, ratio, root, startSwitchboard, stop } from "./lib.mjs";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    profile: { type: "string" },
    only: { type: "string" },
    rate: { type: "string" },
  },
});
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const rate = values.rate === undefined ? undefined : Number(values.rate);

const nodeArgs = values.profile !== undefined ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(values.profile)}`] : [];
const sb = await startSwitchboard({ nodeArgs });
const keys = await keysOf(sb.dataDir);
const requests = await tokenRequests(sb.base, keys.primaryKey);

await load(requests.create, { duration: 2 });
await load(requests.getToken, { duration: 2 });
const runs = [];
for (let i = 0; i < rounds; i++) {
  // Alternate which goes first, so drift on a shared machine hits both sides alike.
  const order = i % 2 === 0 ? ["create", "getToken"] : ["getToken", "create"];
  const r = {};
  for (const k of order) {
    if (values.only !== undefined && values.only !== k) continue;
    r[k] = await loadWithCpu(requests[k], sb.child.pid, { duration, rate });
  }
  if (values.only !== undefined) {
    const k = values.only;
    console.log(`round ${i + 1}: ${k} ${r[k].rps} req/s (p50 ${r[k].p50} ms, p99 ${r[k].p99} ms, failures ${r[k].failures}, server CPU ${r[k].cpuUsPerRequest} µs/request)`);
    continue;
  }
  r.ratio = ratio(r.getToken.rps, r.create.rps);
  runs.push(r);
  console.log(
    `round ${i + 1}: createUserAndToken ${r.create.rps} req/s (p50 ${r.create.p50} ms, p99 ${r.create.p99} ms, failures ${r.create.failures}, CPU ${r.create.cpuUsPerRequest} µs/req, request thread ${r.create.mainUsPerRequest}) | ` +
      `getToken ${r.getToken.rps} req/s (p50 ${r.getToken.p50} ms, p99 ${r.getToken.p99} ms, failures ${r.getToken.failures}, CPU ${r.getToken.cpuUsPerRequest} µs/req, request thread ${r.getToken.mainUsPerRequest}) | getToken/create ${r.ratio} | load ${loadavg()[0].toFixed(1)}`,
  );
}
await stop(sb.child);
if (runs.length > 0) {
  const summary = {
    date: new Date().toISOString(),
    duration,
    connections: 50,
    createRps: median(runs.map((r) => r.create.rps)),
    getTokenRps: median(runs.map((r) => r.getToken.rps)),
    ratios: runs.map((r) => r.ratio),
    medianRatio: median(runs.map((r) => r.ratio)),
    createCpuUsPerRequest: median(runs.map((r) => r.create.cpuUsPerRequest)),
    getTokenCpuUsPerRequest: median(runs.map((r) => r.getToken.cpuUsPerRequest)),
    createMainUsPerRequest: median(runs.map((r) => r.create.mainUsPerRequest)),
    getTokenMainUsPerRequest: median(runs.map((r) => r.getToken.mainUsPerRequest)),
    offeredRate: rate ?? null,
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
    runs,
  };
  mkdirSync(path.join(root, "bench/out"), { recursive: true });
  writeFileSync(path.join(root, "bench/out/token.json"), JSON.stringify(summary, null, 2));
  console.log(
    `SUMMARY token: getToken ${summary.getTokenRps} req/s vs createUserAndToken ${summary.createRps} req/s, getToken/create median ratio ${summary.medianRatio} (rounds ${summary.ratios.join(", ")}; target >= 1.3); server CPU per request getToken ${summary.getTokenCpuUsPerRequest} µs vs create ${summary.createCpuUsPerRequest} µs (create/getToken ${ratio(summary.createCpuUsPerRequest, summary.getTokenCpuUsPerRequest)}), on the request thread ${summary.getTokenMainUsPerRequest} vs ${summary.createMainUsPerRequest} µs${rate !== undefined ? `, offered ${rate} req/s each` : ""}; load average ${summary.loadAverage.join(" ")}`,
  );
}
