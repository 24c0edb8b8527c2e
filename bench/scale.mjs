// A million identities: createUserAndToken and getToken against a store holding 1,000,000 identities vs an empty
// store, both servers running at once and measured alternately, with each server's RSS sampled during the load.
// The full store is filled by bulk insert straight into its SQLite file (not through the API): one server start
// creates the data directory (schema, default resource, keys), is stopped, and better-sqlite3 inserts the rows in one
// transaction (ids as the server makes them, `8:acs:<resource>_<time-ordered uuid>`, created one ms apart over the
// last ~17 minutes, all of the default resource: the worst case for the per-resource index).
// Usage: npm run build && node bench/scale.mjs [--identities 1000000] [--duration 10] [--rounds 3] [--sample 200000]
//   getToken picks a random identity per request from up to --sample ids of the store (signed per request), so the
//   full store's reads mostly miss the identity-state cache (100,000 entries by default) and go to the database.
import { createRequire } from "node:module";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { acsHmacHeaders, cpuMs, keysOf, load, median, ratio, root, rssMb, startSwitchboard, stop } from "./lib.mjs";

const { values } = parseArgs({
  options: {
    identities: { type: "string", default: "1000000" },
    duration: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    sample: { type: "string", default: "200000" },
  },
});
const identities = Number(values.identities);
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const sampleSize = Number(values.sample);
const SQLite = createRequire(path.join(root, "package.json"))("better-sqlite3");
// Ids exactly as the server makes them (src/identity/identity-id.ts).
const { newIdentityId } = await import(path.join(root, "dist/identity/identity-id.js"));

// 1. The full store: create its data directory with one server start, then bulk insert.
const seed = await startSwitchboard();
await stop(seed.child);
const dbFile = path.join(seed.dataDir, "switchboard.db");
{
  const started = Date.now();
  const db = new SQLite(dbFile);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("cache_size = -262144"); // the loader only; the server's own setting applies when it runs
  const resourceId = db.prepare("select id from resources where is_default = 1").get().id;
  const insert = db.prepare("insert into identities (id, resource_id, created_at, deleted_at, token_generation, revoked_at) values (?, ?, ?, null, 0, null)");
  const t0 = Date.now() - identities; // one ms apart, in the past
  const BATCH = 100_000;
  for (let done = 0; done < identities; done += BATCH) {
    const n = Math.min(BATCH, identities - done);
    db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const createdAt = t0 + done + i;
        insert.run(newIdentityId(resourceId, createdAt), resourceId, createdAt);
      }
    })();
  }
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.exec("analyze");
  const indexes = db.prepare("select name, tbl_name from sqlite_master where type = 'index' and tbl_name in ('identities', 'activity_events')").all();
  let sizes;
  try {
    sizes = db.prepare("select name, sum(pgsize) as bytes from dbstat where name in (select name from sqlite_master where tbl_name = 'identities') group by name").all();
  } catch {
    sizes = indexes.map((i) => ({ name: i.name, bytes: undefined })); // dbstat not compiled in
  }
  db.close();
  console.log(
    `filled ${identities.toLocaleString("en")} identities in ${((Date.now() - started) / 1000).toFixed(1)} s; switchboard.db ${Math.round(statSync(dbFile).size / 1048576)} MB; ` +
      sizes.map((s) => `${s.name} ${s.bytes === undefined ? "?" : Math.round(s.bytes / 1048576)} MB`).join(", "),
  );
}

// 2. Both servers, the full one on the filled directory, the empty one fresh.
const full = await startSwitchboard({ dataDir: seed.dataDir });
const empty = await startSwitchboard();
const servers = { full, empty };
for (const sb of Object.values(servers)) {
  sb.key = (await keysOf(sb.dataDir)).primaryKey;
  const body = JSON.stringify({ createTokenWithScopes: ["chat", "voip"] });
  const url = `${sb.base}/identities?api-version=2023-10-01`;
  sb.create = { url, method: "POST", body, headers: acsHmacHeaders("POST", url, body, sb.key) };
  const probe = await fetch(url, { method: "POST", body, headers: sb.create.headers });
  if (probe.status !== 201) throw new Error(`createUserAndToken probe: ${probe.status} ${await probe.text()}`);
}

/** getToken for a random identity of the sample, signed per request. */
function getTokenRequest(sb) {
  const db = new SQLite(path.join(sb.dataDir, "switchboard.db"), { readonly: true });
  const ids = db.prepare(`select id from identities order by random() limit ${sampleSize}`).pluck().all();
  db.close();
  const body = JSON.stringify({ scopes: ["chat", "voip"] });
  const host = new URL(sb.base).host;
  return {
    url: sb.base,
    ids: ids.length,
    requests: [
      {
        method: "POST",
        setupRequest: (req) => {
          const id = ids[Math.floor(Math.random() * ids.length)];
          const p = `/identities/${encodeURIComponent(id)}/:issueAccessToken?api-version=2023-10-01`;
          return { ...req, method: "POST", path: p, body, headers: { ...acsHmacHeaders("POST", `http://${host}${p}`, body, sb.key) } };
        },
      },
    ],
  };
}

/** One load run with the server's RSS sampled every 200 ms and its CPU time per request. */
async function measure(request, sb) {
  const samples = [];
  const timer = setInterval(() => samples.push(rssMb(sb.child.pid)), 200);
  const cpuBefore = cpuMs(sb.child.pid);
  const result = await load(request, { duration });
  const cpuAfter = cpuMs(sb.child.pid);
  clearInterval(timer);
  const rss = samples.filter((x) => x !== undefined);
  return {
    ...result,
    rssMaxMb: rss.length === 0 ? undefined : Math.max(...rss),
    cpuUsPerRequest: cpuBefore === undefined || result.total === 0 ? undefined : Math.round(((cpuAfter - cpuBefore) * 1000) / result.total),
  };
}

for (const sb of Object.values(servers)) await load(sb.create, { duration: 2 });
const results = { full: { create: [], getToken: [] }, empty: { create: [], getToken: [] } };
const line = (name, op, r) =>
  `${name} ${op} ${r.rps} req/s (p50 ${r.p50} ms, p99 ${r.p99} ms, failures ${r.failures}, CPU ${r.cpuUsPerRequest} µs/req, RSS max ${r.rssMaxMb} MB)`;
for (let i = 0; i < rounds; i++) {
  const order = i % 2 === 0 ? ["full", "empty"] : ["empty", "full"];
  for (const name of order) results[name].create.push(await measure(servers[name].create, servers[name]));
  console.log(`round ${i + 1}: ${line("full", "createUserAndToken", results.full.create[i])} | ${line("empty", "createUserAndToken", results.empty.create[i])} | full/empty ${ratio(results.full.create[i].rps, results.empty.create[i].rps)} | load ${loadavg()[0].toFixed(1)}`);
}
const tokenRequests = { full: getTokenRequest(full), empty: getTokenRequest(empty) };
console.log(`getToken identities: full store ${tokenRequests.full.ids.toLocaleString("en")}, empty store ${tokenRequests.empty.ids.toLocaleString("en")} (those its createUserAndToken rounds made)`);
for (let i = 0; i < rounds; i++) {
  const order = i % 2 === 0 ? ["full", "empty"] : ["empty", "full"];
  for (const name of order) results[name].getToken.push(await measure(tokenRequests[name], servers[name]));
  console.log(`round ${i + 1}: ${line("full", "getToken", results.full.getToken[i])} | ${line("empty", "getToken", results.empty.getToken[i])} | full/empty ${ratio(results.full.getToken[i].rps, results.empty.getToken[i].rps)} | load ${loadavg()[0].toFixed(1)}`);
}
const rssAfter = { full: rssMb(full.child.pid), empty: rssMb(empty.child.pid) };
await stop(full.child);
await stop(empty.child);

const summarize = (op) => {
  const ratios = results.full[op].map((r, i) => ratio(r.rps, results.empty[op][i].rps));
  return {
    fullRps: median(results.full[op].map((r) => r.rps)),
    emptyRps: median(results.empty[op].map((r) => r.rps)),
    ratios,
    medianRatio: median(ratios),
    fullCpuUsPerRequest: median(results.full[op].map((r) => r.cpuUsPerRequest)),
    emptyCpuUsPerRequest: median(results.empty[op].map((r) => r.cpuUsPerRequest)),
    fullRssMaxMb: Math.max(...results.full[op].map((r) => r.rssMaxMb ?? 0)),
    emptyRssMaxMb: Math.max(...results.empty[op].map((r) => r.rssMaxMb ?? 0)),
  };
};
const summary = { date: new Date().toISOString(), identities, duration, rounds, create: summarize("create"), getToken: summarize("getToken"), rssAfter, loadAverage: loadavg().map((x) => Number(x.toFixed(2))), results };
mkdirSync(path.join(root, "bench/out"), { recursive: true });
writeFileSync(path.join(root, "bench/out/scale.json"), JSON.stringify(summary, null, 2));
for (const op of ["create", "getToken"]) {
  const s = summary[op];
  console.log(
    `SUMMARY scale ${op === "create" ? "createUserAndToken" : "getToken"}: ${identities.toLocaleString("en")} identities ${s.fullRps} req/s vs empty ${s.emptyRps} req/s, full/empty median ratio ${s.medianRatio} (rounds ${s.ratios.join(", ")}${op === "create" ? "; target >= 0.9" : ""}); ` +
      `CPU ${s.fullCpuUsPerRequest} vs ${s.emptyCpuUsPerRequest} µs/req; RSS max ${s.fullRssMaxMb} MB full, ${s.emptyRssMaxMb} MB empty (target <= 150)`,
  );
}
console.log(`load average ${summary.loadAverage.join(" ")} (shared machine: rounds alternate so the ratios hold)`);
