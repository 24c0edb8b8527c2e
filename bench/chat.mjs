// Chat benchmark: sendMessage with user-access-token (bearer) auth over HTTPS on the durable SQLite default, side by
// side with Azurite's SharedKey-signed Get Container Properties, in the same run on this machine.
// Every request appends a message to one thread (the hot-thread case: each send takes the thread's sequence).
// sendMessage is measured over HTTPS (what the chat SDK insists on) and over plain HTTP (the transport of the Azurite
// baseline); the load generator shares the two cores, so client-side TLS also costs server throughput.
// Usage: npm run build && node bench/chat.mjs [--duration 10] [--rounds 2] [--connections 50]
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { acsHmacHeaders, keysOf, load, ratio, root, startAzurite, startSwitchboard, stop } from "./lib.mjs";

const { values } = parseArgs({
  options: { duration: { type: "string", default: "10" }, rounds: { type: "string", default: "2" }, connections: { type: "string", default: "50" } },
});
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const connections = Number(values.connections);

const azurite = await startAzurite();
// Bearer tokens cross plain HTTP only from a trusted TLS-terminating proxy (SECURITY.md): the bench plays that proxy.
const sb = await startSwitchboard({ env: { SWITCHBOARD_TRUSTED_PROXIES: "127.0.0.1" } });
const keys = await keysOf(sb.dataDir);

// Setup over the HTTP listener (bearer as if through a TLS-terminating proxy; the SDK insists on HTTPS, so the load does too).
const identityUrl = `${sb.base}/identities?api-version=2023-10-01`;
const identityBody = JSON.stringify({ createTokenWithScopes: ["chat"] });
const created = await fetch(identityUrl, { method: "POST", body: identityBody, headers: acsHmacHeaders("POST", identityUrl, identityBody, keys.primaryKey) });
if (created.status !== 201) throw new Error(`createUserAndToken: ${created.status} ${await created.text()}`);
const { accessToken } = await created.json();
const bearer = { authorization: `Bearer ${accessToken.token}`, "content-type": "application/json", "x-forwarded-proto": "https" };
const thread = await fetch(`${sb.base}/chat/threads?api-version=2025-03-15`, { method: "POST", headers: bearer, body: JSON.stringify({ topic: "bench" }) });
if (thread.status !== 201) throw new Error(`createChatThread: ${thread.status} ${await thread.text()}`);
const threadId = (await thread.json()).chatThread.id;

const sendUrl = `https://127.0.0.1:${sb.port}/chat/threads/${encodeURIComponent(threadId)}/messages?api-version=2025-03-15`;
const sendBody = JSON.stringify({ content: "Hello from the benchmark, a message of ordinary length.", senderDisplayName: "Bench", type: "text" });
const sendMessage = { url: sendUrl, method: "POST", body: sendBody, headers: bearer };
const sendMessageHttp = { ...sendMessage, url: sendUrl.replace(`https://127.0.0.1:${sb.port}`, sb.base) };
const probe = await fetch(sendUrl.replace(`https://127.0.0.1:${sb.port}`, sb.base), { method: "POST", body: sendBody, headers: bearer });
if (probe.status !== 201) throw new Error(`sendMessage probe: ${probe.status} ${await probe.text()}`);

// Warm up both, then alternate so drift on this shared machine hits both sides alike.
await load(azurite.request, { duration: 2, connections });
await load(sendMessage, { duration: 2, connections });
const runs = [];
for (let i = 0; i < rounds; i++) {
  const a = await load(azurite.request, { duration, connections });
  const s = await load(sendMessage, { duration, connections });
  const h = await load(sendMessageHttp, { duration, connections });
  runs.push({ azurite: a, switchboard: s, switchboardHttp: h, ratio: ratio(s.rps, a.rps), ratioHttp: ratio(h.rps, a.rps) });
  console.log(
    `round ${i + 1}: azurite ${a.rps} req/s (p50 ${a.p50} ms, p99 ${a.p99} ms) | sendMessage https ${s.rps} req/s (p50 ${s.p50} ms, p99 ${s.p99} ms, failures ${s.failures}) ratio ${ratio(s.rps, a.rps)} | sendMessage http ${h.rps} req/s (p50 ${h.p50} ms, p99 ${h.p99} ms, failures ${h.failures}) ratio ${ratio(h.rps, a.rps)}`,
  );
}

// Every acknowledged send is a stored message.
const list = await fetch(`${sb.base}/chat/threads/${encodeURIComponent(threadId)}/messages?maxPageSize=1&api-version=2025-03-15`, { headers: bearer });
const newest = (await list.json()).value[0];
await stop(sb.child);
await stop(azurite.child);

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const summary = {
  date: new Date().toISOString(),
  duration,
  connections,
  azuriteRps: median(runs.map((r) => r.azurite.rps)),
  switchboardRps: median(runs.map((r) => r.switchboard.rps)),
  switchboardHttpRps: median(runs.map((r) => r.switchboardHttp.rps)),
  ratios: runs.map((r) => r.ratio),
  ratiosHttp: runs.map((r) => r.ratioHttp),
  lastSequenceId: newest?.sequenceId,
  runs,
};
mkdirSync(path.join(root, "bench/out"), { recursive: true });
writeFileSync(path.join(root, "bench/out/chat.json"), JSON.stringify(summary, null, 2));
console.log(
  JSON.stringify({
    azuriteRps: summary.azuriteRps,
    switchboardRps: summary.switchboardRps,
    switchboardHttpRps: summary.switchboardHttpRps,
    ratios: summary.ratios,
    ratiosHttp: summary.ratiosHttp,
    lastSequenceId: summary.lastSequenceId,
  }),
);
