// Entra benchmark: createUser authenticated by an Entra bearer token (built-in authority, Contributor role) side by
// side with the same call signed with the access key (HMAC), in the same run, over the HTTP listener.
// Usage: npm run build && node bench/entra.mjs [--duration 10] [--rounds 2]
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import { parseArgs } from "node:util";
import { acsHmacHeaders, keysOf, load, nodeFlagsOf, ratio, root, startSwitchboard, stop } from "./lib.mjs";

const { values } = parseArgs({ options: { duration: { type: "string", default: "10" }, rounds: { type: "string", default: "2" } } });
const duration = Number(values.duration);
const rounds = Number(values.rounds);

// Bearer tokens cross plain HTTP only from a trusted TLS-terminating proxy (SECURITY.md): the bench plays that proxy.
const sb = await startSwitchboard({ env: { SWITCHBOARD_TRUSTED_PROXIES: "127.0.0.1" } });
const keys = await keysOf(sb.dataDir);
const cli = (...args) => execFileSync(process.execPath, [...nodeFlagsOf(path.join(root, "dist/cli/main.js")), path.join(root, "dist/cli/main.js"), ...args, "--data-dir", sb.dataDir], { encoding: "utf8" });
const sp = JSON.parse(cli("sp", "create", "--name", "bench", "--role", "Contributor", "--json"));

/** client_credentials over HTTPS, trusting the server's generated certificate; also times the request (scrypt check). */
function requestToken() {
  const body = new URLSearchParams({ grant_type: "client_credentials", client_id: sp.clientId, client_secret: sp.clientSecret, scope: "https://communication.azure.com//.default" }).toString();
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: "127.0.0.1", port: sb.port, path: `/${sp.tenantId}/oauth2/v2.0/token`, method: "POST", ca: readFileSync(path.join(sb.dataDir, "tls", "cert.pem")), headers: { "content-type": "application/x-www-form-urlencoded" } },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => (res.statusCode === 200 ? resolve({ token: JSON.parse(text).access_token, ms: Number(process.hrtime.bigint() - started) / 1e6 }) : reject(new Error(text))));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
const tokenTimes = [];
let token;
for (let i = 0; i < 10; i++) {
  const t = await requestToken();
  token = t.token;
  tokenTimes.push(t.ms);
}
tokenTimes.sort((a, b) => a - b);

const url = `${sb.base}/identities?api-version=2023-10-01`;
const hmac = { url, method: "POST", body: "", headers: acsHmacHeaders("POST", url, "", keys.primaryKey) };
const bearer = { url, method: "POST", body: "", headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-forwarded-proto": "https" } };
for (const [name, r] of [["hmac", hmac], ["bearer", bearer]]) {
  const probe = await fetch(url, { method: "POST", headers: r.headers });
  if (probe.status !== 201) throw new Error(`${name} probe: ${probe.status} ${await probe.text()}`);
}

await load(hmac, { duration: 2 });
await load(bearer, { duration: 2 });
const runs = [];
for (let i = 0; i < rounds; i++) {
  const h = await load(hmac, { duration });
  const b = await load(bearer, { duration });
  runs.push({ hmac: h, bearer: b, ratio: ratio(b.rps, h.rps) });
  console.log(`round ${i + 1}: createUser HMAC ${h.rps} req/s (p50 ${h.p50} ms, p99 ${h.p99} ms) | Entra bearer ${b.rps} req/s (p50 ${b.p50} ms, p99 ${b.p99} ms, failures ${b.failures}) | ratio ${ratio(b.rps, h.rps)}`);
}
await stop(sb.child);

const summary = { date: new Date().toISOString(), duration, connections: 50, tokenEndpointMs: { median: tokenTimes[5], max: tokenTimes[9] }, runs };
mkdirSync(path.join(root, "bench/out"), { recursive: true });
writeFileSync(path.join(root, "bench/out/entra.json"), JSON.stringify(summary, null, 2));
console.log(JSON.stringify({ tokenEndpointMs: summary.tokenEndpointMs, ratios: runs.map((r) => r.ratio) }));
