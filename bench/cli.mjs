// CLI latency: wall time of `switchboard --help` and `switchboard keys list` (a store prepared once), each run as a
// fresh `node` process, for one or more builds side by side (alternating, so machine load hits both alike).
//   node bench/cli.mjs [--runs 15] [--baseline [label=]/path/to/other/dist/cli/main.js …]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildsToCompare, nodeFlagsOf } from "./lib.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i === -1 ? dflt : args[i + 1];
};
const runs = Number(opt("--runs", "15"));
const builds = buildsToCompare(args);

// One store for `keys list`, created by a short `start` of this build (the store format is shared).
const dataDir = mkdtempSync(path.join(tmpdir(), "sb-cli-bench-"));
const start = spawnSync(process.execPath, [...nodeFlagsOf(builds.at(-1)[1]), builds.at(-1)[1], "start", "--data-dir", dataDir, "--port", "0", "--http-port", "off"], {
  timeout: 20000, // a loaded machine (first start generates the TLS certificate)
  killSignal: "SIGINT",
  env: { ...process.env, SWITCHBOARD_LOG_LEVEL: "error" },
});
if (!String(start.stdout).includes("Switchboard is running")) throw new Error(`could not prepare a store: ${start.stderr}`);

const commands = [
  ["--help", ["--help"]],
  ["keys list", ["keys", "list", "--data-dir", dataDir]],
];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
for (const [label] of commands) for (const [name] of builds) results[`${label}|${name}`] = [];
// The floor on this machine at this moment: a node process that runs nothing.
const floor = [];
for (let i = 0; i < runs; i++) {
  {
    const t0 = process.hrtime.bigint();
    execFileSync(process.execPath, ["-e", "0"], { stdio: "ignore" });
    floor.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  for (const [label, argv] of commands) {
    for (const [name, cli] of builds) {
      const t0 = process.hrtime.bigint();
      execFileSync(process.execPath, [...nodeFlagsOf(cli), cli, ...argv], { stdio: "ignore" });
      results[`${label}|${name}`].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
}
console.log(`runs per cell: ${runs}; load average at the end: ${(await import("node:os")).loadavg().map((l) => l.toFixed(1)).join(" ")}`);
const floorMs = median(floor);
console.log("| command | " + builds.map(([n]) => `${n} median ms`).join(" | ") + " | this build above the floor |" + (builds.length > 1 ? ` ${builds[0][0]} ÷ this build |` : ""));
console.log("|---|" + builds.map(() => "---:").join("|") + "|---:|" + (builds.length > 1 ? "---:|" : ""));
console.log(`| \`node -e 0\` (the floor: a process that runs nothing) | ${builds.map(() => floorMs.toFixed(0)).join(" | ")} | |${builds.length > 1 ? " |" : ""}`);
for (const [label] of commands) {
  const meds = builds.map(([name]) => median(results[`${label}|${name}`]));
  const ratio = meds.length > 1 ? ` ${(meds[0] / meds.at(-1)).toFixed(2)}× |` : "";
  console.log(`| \`${label}\` | ${meds.map((m) => m.toFixed(0)).join(" | ")} | ${(meds.at(-1) - floorMs).toFixed(0)} |${ratio}`);
}
