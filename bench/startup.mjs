// Start-up time: spawn to the first served request, Switchboard `start` on an existing data dir (the second start:
// the default embedded SQLite store and the self-signed certificate already exist) vs Azurite blob
// `--inMemoryPersistence`, each a fresh process, alternated round by round so machine load hits both alike.
//   node bench/startup.mjs [--rounds 7] [--baseline [label=]/path/to/other/dist/cli/main.js …]
// "Served" = the first complete HTTP response: Switchboard GET /health/live on its HTTP port, Azurite GET / (any
// status). The poll is a tight loop (a new connection every 2 ms), the same for both.
import { spawn } from "node:child_process";
import http from "node:http";
import { loadavg } from "node:os";
import path from "node:path";
import { buildsToCompare, freePort, nodeFlagsOf, root, stop, tempDir } from "./lib.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i === -1 ? dflt : args[i + 1];
};
const rounds = Number(opt("--rounds", "7"));
const builds = buildsToCompare(args);
const azuriteBlob = path.join(root, "bench", "node_modules", "azurite", "dist", "src", "blob", "main.js");

/** One GET; resolves true on any complete response, false when nothing answers yet. */
function probe(port, urlPath) {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(true));
      res.on("error", () => resolve(false));
    });
    req.on("error", () => resolve(false));
  });
}

/** Spawns the command and polls until it serves; returns milliseconds from spawn to the first response. */
async function timeToFirstResponse(command, argv, port, urlPath) {
  const t0 = process.hrtime.bigint();
  const child = spawn(command, argv, { stdio: ["ignore", "ignore", "inherit"], env: process.env });
  let exited = false;
  child.once("exit", () => (exited = true));
  try {
    for (;;) {
      if (await probe(port, urlPath)) return { ms: Number(process.hrtime.bigint() - t0) / 1e6, child };
      if (exited) throw new Error(`${argv.join(" ")} exited before serving`);
      if (Number(process.hrtime.bigint() - t0) > 60e9) throw new Error(`${argv.join(" ")} did not serve within 60 s`);
      await new Promise((r) => setTimeout(r, 2));
    }
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
}

async function switchboardStart(cli, dataDir) {
  const port = await freePort();
  const httpPort = await freePort();
  const { ms, child } = await timeToFirstResponse(process.execPath, [...nodeFlagsOf(cli), cli, "start", "--data-dir", dataDir, "--port", String(port), "--http-port", String(httpPort)], httpPort, "/health/live");
  await stop(child);
  return ms;
}

async function azuriteStart() {
  const port = await freePort();
  const { ms, child } = await timeToFirstResponse(
    process.execPath,
    [azuriteBlob, "--blobHost", "127.0.0.1", "--blobPort", String(port), "--inMemoryPersistence", "--silent", "--disableTelemetry"],
    port,
    "/",
  );
  await stop(child);
  return ms;
}

// Each build gets a data dir of its own, prepared by one first start (store created, certificate generated).
const dataDirs = new Map();
for (const [name, cli] of builds) {
  const dir = tempDir("sb-startup-");
  const first = await switchboardStart(cli, dir);
  console.log(`${name}: first start (creates the store and the certificate) ${first.toFixed(0)} ms`);
  dataDirs.set(name, dir);
}
// One warm-up of Azurite too (the OS file cache for both).
await azuriteStart();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { azurite: [] };
for (const [name] of builds) results[name] = [];
const loads = [];
for (let i = 0; i < rounds; i++) {
  // Alternate which goes first, so neither always follows the other's teardown.
  const order = i % 2 === 0 ? ["sb", "az"] : ["az", "sb"];
  for (const which of order) {
    if (which === "az") results.azurite.push(await azuriteStart());
    else for (const [name, cli] of builds) results[name].push(await switchboardStart(cli, dataDirs.get(name)));
  }
  loads.push(loadavg()[0]);
}
const az = median(results.azurite);
console.log(`rounds: ${rounds}; load average (1 min) during the rounds: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
console.log("| process | runs (ms) | median ms | vs Azurite |");
console.log("|---|---|---:|---:|");
console.log(`| Azurite blob --inMemoryPersistence | ${results.azurite.map((x) => x.toFixed(0)).join(", ")} | ${az.toFixed(0)} | 1.00× |`);
for (const [name] of builds) {
  const m = median(results[name]);
  console.log(`| Switchboard start (${name}) | ${results[name].map((x) => x.toFixed(0)).join(", ")} | ${m.toFixed(0)} | **${(m / az).toFixed(2)}×** |`);
}
