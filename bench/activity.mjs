// Activity record on/off: the foundation benchmark's createUserAndToken (HMAC, durable SQLite default) against two
// servers in the same run, one recording every request into the activity record and one with the recorder disabled
// (SWITCHBOARD_ACTIVITY_ENABLED=false).
//
// This machine is shared: other processes take the CPU in bursts of seconds, so one long run per side compares
// the neighbours' load more than the servers. The run is therefore many short slices, on and off back to back in
// alternating order; it reports the median of the per-pair throughput ratios and, as a second measure that load
// from other processes barely moves, each server's own CPU time per request (from /proc/<pid>/stat), in all and on
// the request (main) thread alone.
// Usage: npm run build && node bench/activity.mjs [--slice 3] [--pairs 12] [--control]
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { acsHmacHeaders, keysOf, load, ratio, root, startSwitchboard, stop } from "./lib.mjs";

const { values } = parseArgs({
  options: { slice: { type: "string", default: "3" }, pairs: { type: "string", default: "12" }, control: { type: "boolean", default: false } },
});
const slice = Number(values.slice);
const pairs = Number(values.pairs);
const body = JSON.stringify({ createTokenWithScopes: ["chat", "voip"] });
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

async function target(env) {
  const sb = await startSwitchboard({ env });
  const keys = await keysOf(sb.dataDir);
  const url = `${sb.base}/identities?api-version=2023-10-01`;
  const request = { url, method: "POST", body, headers: acsHmacHeaders("POST", url, body, keys.primaryKey) };
  const probe = await fetch(url, { method: "POST", body, headers: request.headers });
  if (probe.status !== 201) throw new Error(`createUserAndToken probe: ${probe.status} ${await probe.text()}`);
  return { sb, request, cpuMs: 0, userMs: 0, mainMs: 0, requests: 0, rps: [] };
}

/** User and system CPU time so far, in ms, of a process (all its threads) and of its main thread alone. */
function cpuMsOf(pid) {
  const read = (file) => {
    const fields = readFileSync(file, "utf8").split(") ")[1].split(" ");
    return { user: (Number(fields[11]) * 1000) / TICKS_PER_SECOND, system: (Number(fields[12]) * 1000) / TICKS_PER_SECOND };
  };
  return { ...read(`/proc/${pid}/stat`), main: read(`/proc/${pid}/task/${pid}/stat`) };
}

async function measure(side) {
  const before = cpuMsOf(side.sb.child.pid);
  const result = await load(side.request, { duration: slice });
  const after = cpuMsOf(side.sb.child.pid);
  side.userMs += after.user - before.user;
  side.cpuMs += after.user - before.user + after.system - before.system;
  side.mainMs += after.main.user - before.main.user + after.main.system - before.main.system;
  side.requests += result.total;
  side.rps.push(result.rps);
  if (result.failures > 0) throw new Error(`${result.failures} failed requests`);
  return result;
}

async function activityCounters(sb) {
  const text = await (await fetch(`${sb.base}/metrics`)).text();
  const written = /^switchboard_activity_events_written_total (\d+)/m.exec(text)?.[1];
  const dropped = [...text.matchAll(/^switchboard_activity_events_dropped_total\{reason="(\w+)"\} (\d+)/gm)].map((m) => `${m[1]}=${m[2]}`);
  return { written: Number(written ?? 0), dropped: dropped.join(",") };
}

// --control: both servers with the recorder off, to show how far apart two identical servers measure on this machine.
const on = await target(values.control ? { SWITCHBOARD_ACTIVITY_ENABLED: "false" } : {});
const off = await target({ SWITCHBOARD_ACTIVITY_ENABLED: "false" });
await load(on.request, { duration: 2 });
await load(off.request, { duration: 2 });
on.cpuMs = off.cpuMs = on.userMs = off.userMs = on.mainMs = off.mainMs = on.requests = off.requests = 0;

const ratios = [];
for (let i = 0; i < pairs; i++) {
  const order = i % 2 === 0 ? [on, off] : [off, on];
  for (const side of order) await measure(side);
  ratios.push(ratio(on.rps[i], off.rps[i]));
  console.log(`pair ${i + 1}: on ${on.rps[i]} req/s | off ${off.rps[i]} req/s | on/off ${ratios[i]}`);
}
const recorded = await activityCounters(on.sb);
const recordedOff = await activityCounters(off.sb);
await stop(on.sb.child);
await stop(off.sb.child);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cpuUsPerRequest = (side) => Math.round((side.cpuMs * 1000) / side.requests);
const summary = {
  date: new Date().toISOString(),
  control: values.control,
  sliceSeconds: slice,
  pairs,
  connections: 50,
  onRpsMedian: median(on.rps),
  offRpsMedian: median(off.rps),
  medianPairRatio: ratio(median(ratios) * 100, 100),
  totalRatio: ratio(on.requests, off.requests),
  cpuUsPerRequestOn: cpuUsPerRequest(on),
  cpuUsPerRequestOff: cpuUsPerRequest(off),
  mainThreadCpuUsPerRequestOn: Math.round((on.mainMs * 1000) / on.requests),
  mainThreadCpuUsPerRequestOff: Math.round((off.mainMs * 1000) / off.requests),
  userCpuUsPerRequestOn: Math.round((on.userMs * 1000) / on.requests),
  userCpuUsPerRequestOff: Math.round((off.userMs * 1000) / off.requests),
  requestsOn: on.requests,
  requestsOff: off.requests,
  activityRowsWrittenOn: recorded.written,
  activityDroppedOn: recorded.dropped,
  activityRowsWrittenOff: recordedOff.written,
  ratios,
  onRps: on.rps,
  offRps: off.rps,
};
mkdirSync(path.join(root, "bench/out"), { recursive: true });
writeFileSync(path.join(root, `bench/out/activity${values.control ? "-control" : ""}.json`), JSON.stringify(summary, null, 2));
const { ratios: _r, onRps: _a, offRps: _b, ...short } = summary;
console.log(JSON.stringify(short));
