// Activity record on/off: the foundation benchmark's createUserAndToken (HMAC, durable SQLite default) against two
// servers in the same run, one recording every request into the activity record and one with the recorder disabled
// (SWITCHBOARD_ACTIVITY_ENABLED=false). Rounds alternate so drift on this shared machine hits both sides alike.
// Usage: npm run build && node bench/activity.mjs [--duration 10] [--rounds 3]
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { acsHmacHeaders, keysOf, load, ratio, root, startSwitchboard, stop } from "./lib.mjs";

const { values } = parseArgs({ options: { duration: { type: "string", default: "10" }, rounds: { type: "string", default: "3" } } });
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const body = JSON.stringify({ createTokenWithScopes: ["chat", "voip"] });

async function target(env) {
  const sb = await startSwitchboard({ env });
  const keys = await keysOf(sb.dataDir);
  const url = `${sb.base}/identities?api-version=2023-10-01`;
  const request = { url, method: "POST", body, headers: acsHmacHeaders("POST", url, body, keys.primaryKey) };
  const probe = await fetch(url, { method: "POST", body, headers: request.headers });
  if (probe.status !== 201) throw new Error(`createUserAndToken probe: ${probe.status} ${await probe.text()}`);
  return { sb, request };
}

async function activityCounters(sb) {
  // What the recorder wrote and dropped, from the server's own metrics.
  const text = await (await fetch(`${sb.base}/metrics`)).text();
  const written = /^switchboard_activity_events_written_total (\d+)/m.exec(text)?.[1];
  const dropped = [...text.matchAll(/^switchboard_activity_events_dropped_total\{reason="(\w+)"\} (\d+)/gm)].map((m) => `${m[1]}=${m[2]}`);
  return { written: Number(written ?? 0), dropped: dropped.join(",") };
}

const on = await target({});
const off = await target({ SWITCHBOARD_ACTIVITY_ENABLED: "false" });
await load(on.request, { duration: 2 });
await load(off.request, { duration: 2 });

const runs = [];
for (let i = 0; i < rounds; i++) {
  // Alternate which side goes first.
  const order = i % 2 === 0 ? ["on", "off"] : ["off", "on"];
  const result = {};
  for (const side of order) result[side] = await load((side === "on" ? on : off).request, { duration });
  runs.push({ on: result.on, off: result.off, ratio: ratio(result.on.rps, result.off.rps) });
  console.log(
    `round ${i + 1}: activity on ${result.on.rps} req/s (p50 ${result.on.p50} ms, p99 ${result.on.p99} ms, failures ${result.on.failures}) | off ${result.off.rps} req/s (p50 ${result.off.p50} ms, p99 ${result.off.p99} ms, failures ${result.off.failures}) | on/off ${ratio(result.on.rps, result.off.rps)}`,
  );
}
const recorded = await activityCounters(on.sb);
const recordedOff = await activityCounters(off.sb);
await stop(on.sb.child);
await stop(off.sb.child);

const sum = (side) => runs.reduce((n, r) => n + r[side].total, 0);
const summary = {
  date: new Date().toISOString(),
  duration,
  rounds,
  connections: 50,
  onRps: Math.round(runs.reduce((n, r) => n + r.on.rps, 0) / runs.length),
  offRps: Math.round(runs.reduce((n, r) => n + r.off.rps, 0) / runs.length),
  requestsOn: sum("on"),
  requestsOff: sum("off"),
  activityRowsWrittenOn: recorded.written,
  activityDroppedOn: recorded.dropped,
  activityRowsWrittenOff: recordedOff.written,
  runs,
};
summary.ratio = ratio(summary.onRps, summary.offRps);
mkdirSync(path.join(root, "bench/out"), { recursive: true });
writeFileSync(path.join(root, "bench/out/activity.json"), JSON.stringify(summary, null, 2));
console.log(JSON.stringify({ onRps: summary.onRps, offRps: summary.offRps, ratio: summary.ratio, written: recorded.written, dropped: recorded.dropped, requestsOn: summary.requestsOn }));
