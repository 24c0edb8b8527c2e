// The console's Identities page with 1,000,000 identities in the store: the first page and a search by id prefix,
// over HTTPS with a console session, timed end to end (server-rendered HTML). Target: under 200 ms each.
// With --activity N, also N activity rows (two days, 10,000 identities, a token event in four, console actions filed
// under an operator): the Overview (tokens today, recent errors), the Activity page (every identity's, one identity's,
// a rare operation) and the live tail's poll.
// Usage: npm run build && node bench/console.mjs [--identities 1000000] [--activity 0] [--rounds 30] [--database-url postgres://…]
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import https from "node:https";
import { root } from "./lib.mjs";

const { values } = parseArgs({
  options: { identities: { type: "string", default: "1000000" }, activity: { type: "string", default: "0" }, rounds: { type: "string", default: "30" }, "database-url": { type: "string" } },
});
const total = Number(values.identities);
const rounds = Number(values.rounds);
const { createSwitchboard } = await import(path.join(root, "dist/app.js"));
const { loadConfig } = await import(path.join(root, "dist/config/config.js"));
const { ConsoleAuth } = await import(path.join(root, "dist/console/console-auth.js"));

const dataDir = mkdtempSync(path.join(tmpdir(), "switchboard-bench-console-"));
const config = loadConfig({
  overrides: { dataDir, port: 0, httpPort: null, log: { level: "error" }, ...(values["database-url"] ? { databaseUrl: values["database-url"] } : {}) },
});
const sb = await createSwitchboard(config);
const { httpsPort } = await sb.listen();
const resource = sb.core.defaultResource;

console.log(`seeding ${total.toLocaleString()} identities …`);
const started = Date.now();
const BATCH = 2000;
const now = Date.now();
let someId;
for (let i = 0; i < total; i += BATCH) {
  const rows = [];
  for (let j = i; j < Math.min(total, i + BATCH); j++) {
    const id = `8:acs:${resource.id}_${randomUUID()}`;
    if (j === Math.floor(total / 2)) someId = id;
    rows.push({ id, resource_id: resource.id, created_at: now, deleted_at: null, token_generation: 0, revoked_at: null });
  }
  await sb.core.store.write((trx) => trx.insertInto("identities").values(rows).execute());
}
console.log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);

const activityRows = Number(values.activity);
let activityIdentity;
if (activityRows > 0) {
  const { ActivityRows } = await import(path.join(root, "dist/activity/activity-rows.js"));
  const { bucketOf } = await import(path.join(root, "dist/activity/activity-bucket.js"));
  const t0 = Date.now();
  const identities = Array.from({ length: 10_000 }, () => `8:acs:${resource.id}_${randomUUID()}`);
  activityIdentity = identities[0];
  const span = 2 * 86_400_000;
  const token = JSON.stringify({ scopes: ["chat"], expiresOn: new Date(now + 86_400_000).toISOString() });
  const CHUNK = 5_000;
  for (let i = 0; i < activityRows; i += CHUNK) {
    const rows = [];
    for (let j = i; j < Math.min(activityRows, i + CHUNK); j++) {
      const time = now - span + Math.floor((j / activityRows) * span);
      const identity = identities[j % identities.length];
      const kind = j % 4;
      const operator = j % 1000 === 999;
      rows.push({
        identity: operator ? "operator:console:bench" : identity,
        bucket: bucketOf(operator ? "operator:console:bench" : identity),
        event_id: randomUUID(),
        time,
        resource_id: resource.id,
        operation: operator ? "keys.regenerate" : kind === 0 ? "identity.issueAccessToken" : "chat.sendMessage",
        status: j % 5000 === 4999 ? 404 : 200,
        error_code: j % 5000 === 4999 ? "NotFound" : null,
        principal: operator ? "operator:console:bench" : "key:primary",
        subjects: JSON.stringify([identity]),
        fields: kind === 0 && !operator ? token : null,
      });
    }
    await sb.core.activityRepository.append(ActivityRows.of(rows));
  }
  console.log(`seeded ${activityRows.toLocaleString()} activity rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// Trusts the server's own (self-signed) certificate; one keep-alive connection, as a browser tab would use.
const agent = new https.Agent({ ca: sb.tls.cert, keepAlive: true, maxSockets: 1 });
const base = `https://127.0.0.1:${httpsPort}`;
function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent, headers }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text }));
      })
      .on("error", reject);
  });
}
const { token } = await new ConsoleAuth(sb.core.store, sb.core.clock).createLink("bench");
const signin = await get(`${base}/console/signin?token=${encodeURIComponent(token)}`);
const cookie = signin.headers["set-cookie"][0].split(";")[0];

async function timed(url, expect) {
  const ms = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const res = await get(url, { cookie });
    const text = res.text;
    ms.push(performance.now() - t0);
    if (res.status !== 200 || !text.includes(expect)) throw new Error(`${url}: ${res.status}`);
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(ms.length / 2)], p95: ms[Math.floor(ms.length * 0.95)], max: ms[ms.length - 1] };
}

const fmt = (r) => `p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`;
const first = await timed(`${base}/console/identities`, "Next page");
const prefix = someId.slice(0, someId.length - 20);
const search = await timed(`${base}/console/identities?q=${encodeURIComponent(prefix)}`, someId);
const api = await timed(`${base}/console/api/identities?after=${encodeURIComponent(someId)}`, '"value"');
console.log(`backend: ${values["database-url"] ? "postgres" : "sqlite"}, identities: ${total.toLocaleString()}, rounds: ${rounds}`);
console.log(`first page (HTML, 50 rows):     ${fmt(first)}`);
console.log(`search by id prefix (HTML):     ${fmt(search)}`);
console.log(`keyset page from the middle (JSON): ${fmt(api)}`);
if (activityRows > 0) {
  const last = await sb.core.activityRepository.lastSeq();
  const rows = [
    ["Overview (counts, tokens today, recent errors, charts)", `${base}/console`, "Tokens issued today"],
    ["Activity, every identity (HTML, 100 rows)", `${base}/console/activity`, "identity.issueAccessToken"],
    ["Activity, one identity (HTML)", `${base}/console/activity?identity=${encodeURIComponent(activityIdentity)}`, "identity.issueAccessToken"],
    ["Activity, a rare operation (keys.regenerate)", `${base}/console/activity?operation=keys.regenerate`, "keys.regenerate"],
    ["Activity, failed in the last hour", `${base}/console/activity?outcome=failed&since=1h`, "Activity"],
    ["live tail poll (JSON, nothing new)", `${base}/console/api/activity?after=${last}`, '"rows"'],
    ["live tail poll, one identity (JSON)", `${base}/console/api/activity?after=${last}&identity=${encodeURIComponent(activityIdentity)}`, '"rows"'],
  ];
  console.log(`activity rows: ${activityRows.toLocaleString()}`);
  for (const [name, url, expect] of rows) console.log(`${name}: ${fmt(await timed(url, expect))}`);
}
await sb.close();
agent.destroy();
