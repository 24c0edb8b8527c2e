// Foundation benchmark: HMAC-authenticated createUserAndToken on the durable SQLite default, side by side with
// Azurite's SharedKey-signed Get Container Properties, in the same run on this machine.
// Usage: npm run build && node bench/foundation.mjs [--duration 10] [--rounds 2]
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { acsHmacHeaders, keysOf, load, ratio, root, startAzurite, startSwitchboard, stop } from "./lib.mjs";

const { values } = parseArgs({ options: { duration: { type: "string", default: "10" }, rounds: { type: "string", default: "2" } } });
const duration = Number(values.duration);
const rounds = Number(values.rounds);

const azurite = await startAzurite();
const sb = await startSwitchboard();
const keys = await keysOf(sb.dataDir);
const body = JSON.stringify({ createTokenWithScopes: ["chat", "voip"] });
const url = `${sb.base}/identities?api-version=2023-10-01`;
const createUserAndToken = { url, method: "POST", body, headers: acsHmacHeaders("POST", url, body, keys.primaryKey) };
const probe = await fetch(url, { method: "POST", body, headers: createUserAndToken.headers });
if (probe.status !== 201) throw new Error(`createUserAndToken probe: ${probe.status} ${await probe.text()}`);

// Warm up both, then alternate so drift on this shared machine hits both sides alike.
await load(azurite.request, { duration: 2 });
await load(createUserAndToken, { duration: 2 });
const runs = [];
for (let i = 0; i < rounds; i++) {
  const a = await load(azurite.request, { duration });
  const s = await load(createUserAndToken, { duration });
  runs.push({ azurite: a, switchboard: s, ratio: ratio(s.rps, a.rps) });
  console.log(`round ${i + 1}: azurite ${a.rps} req/s (p50 ${a.p50} ms, p99 ${a.p99} ms) | switchboard createUserAndToken ${s.rps} req/s (p50 ${s.p50} ms, p99 ${s.p99} ms, failures ${s.failures}) | ratio ${ratio(s.rps, a.rps)}`);
}
await stop(sb.child);
await stop(azurite.child);

const best = (k) => runs.map((r) => r[k]);
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const summary = {
  date: new Date().toISOString(),
  duration,
  connections: 50,
  azuriteRps: median(best("azurite").map((r) => r.rps)),
  switchboardRps: median(best("switchboard").map((r) => r.rps)),
  ratios: runs.map((r) => r.ratio),
  runs,
};
mkdirSync(path.join(root, "bench/out"), { recursive: true });
writeFileSync(path.join(root, "bench/out/foundation.json"), JSON.stringify(summary, null, 2));
console.log(JSON.stringify({ azuriteRps: summary.azuriteRps, switchboardRps: summary.switchboardRps, ratios: summary.ratios }));
