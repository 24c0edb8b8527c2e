// Event delivery: throughput and commit-to-webhook latency of the event outbox (src/events), in one process.
// `npm run build && node bench/events.mjs [--events 2000] [--concurrency 50] [--database-url postgres://…] [--no-wake]`
// Each event is recorded in its own durable write (as a chat message's events are); the delivery worker (default
// config: 250 ms poll, batches of 100) POSTs them to a local webhook that answers 200 at once. It is woken on commit
// as the server wires it (events-module.ts, app.ts): SQLite in-process, PostgreSQL by NOTIFY through the realtime
// bus; `--no-wake` measures the poll alone.
import http from "node:http";
import pino from "pino";
import { loadConfig } from "../dist/config/config.js";
import { DeliveryWorker } from "../dist/events/delivery-worker.js";
import { EventRecorder } from "../dist/events/event-recorder.js";
import { notifyEventsQueued } from "../dist/events/event-outbox-repository.js";
import { openRealtimeBus } from "../dist/realtime/open-realtime-bus.js";
import { SubscriptionService } from "../dist/events/subscription-service.js";
import { openStore } from "../dist/store/store.js";
import { systemClock } from "../dist/util/clock.js";
import { tempDir } from "./lib.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const total = Number(arg("events", "2000"));
const concurrency = Number(arg("concurrency", "50"));
const databaseUrl = arg("database-url", undefined);
const wake = !process.argv.includes("--no-wake");

const received = new Map(); // seq → ms
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    const now = performance.now();
    const events = JSON.parse(body);
    if (req.headers["aeg-event-type"] === "SubscriptionValidation") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ validationResponse: events[0].data.validationCode }));
      return;
    }
    for (const e of events) if (!received.has(e.data.seq)) received.set(e.data.seq, now);
    res.writeHead(200).end();
  });
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const endpoint = `http://127.0.0.1:${server.address().port}/events`;

const config = loadConfig({ overrides: { dataDir: tempDir("switchboard-bench-events-"), ...(databaseUrl ? { databaseUrl } : {}) } });
const store = await openStore(config);
const resource = { id: "bench", name: "bench" };
const sub = await new SubscriptionService(store, systemClock, { allowedHosts: [], timeoutMs: 10_000 }).subscribe(resource, { endpoint });
if (sub.status !== "active") throw new Error(`subscription ${sub.status}`);
const recorder = new EventRecorder(systemClock);
const worker = new DeliveryWorker(store, systemClock, config.events, pino({ level: "silent" }));
const bus = openRealtimeBus({ databaseUrl: config.databaseUrl, db: store.db, log: pino({ level: "silent" }) });
if (wake) {
  recorder.onRecorded(store.dialect === "postgres" ? notifyEventsQueued : async () => void setImmediate(() => worker.wake()));
  bus.subscribe((m) => m.kind === "eventsQueued" && worker.wake());
  await bus.ready(5_000);
}
worker.start();

const committed = new Map();
let next = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const seq = next++;
      await store.write((trx) =>
        recorder.record(trx, resource, [{ eventType: "Microsoft.Communication.ChatMessageReceivedInThread", subject: `thread/bench/sender/${seq}`, data: { seq } }]),
      );
      committed.set(seq, performance.now());
    }
  }),
);
const tCommitted = performance.now();
while (received.size < total) await new Promise((r) => setTimeout(r, 5));
const tDone = performance.now();
await worker.stop();
await bus.close();
await store.close();
server.close();

const latencies = [...committed].map(([seq, at]) => received.get(seq) - at).sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(0);
console.log(
  `${databaseUrl ? "postgres" : "sqlite"}${wake ? " (woken on commit)" : " (poll only)"}: ${total} events, ${concurrency} writers; recorded at ${(total / ((tCommitted - t0) / 1000)).toFixed(0)} events/s; ` +
    `delivered all in ${((tDone - t0) / 1000).toFixed(2)} s (${(total / ((tDone - t0) / 1000)).toFixed(0)} events/s end to end); ` +
    `commit→webhook p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${latencies.at(-1).toFixed(0)} ms`,
);
