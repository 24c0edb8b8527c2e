// `npm run bench`: the benchmark set of issue 15 (bench/RESULTS.md's final runs), one script after the other, each in
// a process of its own so that none shares the cores with another. Each prints its own results (bench/out/ keeps
// the JSON of those that write one).
// Usage: npm run build && npm run bench [-- --only token,chat] [-- --list]
// About 12 minutes in all; PostgreSQL must be reachable for `postgres` (SWITCHBOARD_BENCH_DATABASE_URL).
import { spawn } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { root } from "./lib.mjs";

const STEPS = [
  { name: "startup", args: ["startup.mjs", "--rounds", "7"] },
  { name: "cli", args: ["cli.mjs"] },
  { name: "foundation", args: ["foundation.mjs", "--duration", "10", "--rounds", "3"] },
  { name: "token", args: ["token.mjs", "--duration", "10", "--rounds", "5"] },
  { name: "token-floor", args: ["token-floor.mjs", "--duration", "8", "--rounds", "3"] },
  { name: "scale", args: ["scale.mjs", "--duration", "10", "--rounds", "3"] },
  { name: "postgres", args: ["postgres.mjs", "--duration", "10", "--rounds", "3"] },
  { name: "chat", args: ["chat.mjs", "--duration", "10", "--rounds", "5"] },
];

const { values } = parseArgs({ options: { only: { type: "string" }, list: { type: "boolean", default: false } } });
if (values.list) {
  for (const step of STEPS) console.log(`${step.name.padEnd(12)} node bench/${step.args.join(" ")}`);
  process.exit(0);
}
const wanted = values.only?.split(",").map((s) => s.trim());
const unknown = wanted?.filter((name) => !STEPS.some((s) => s.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(`bench: no step ${unknown.join(", ")} (steps: ${STEPS.map((s) => s.name).join(", ")})`);
  process.exit(2);
}

let failed = 0;
for (const step of STEPS.filter((s) => wanted === undefined || wanted.includes(s.name))) {
  const started = Date.now();
  console.log(`\n=== ${step.name}: node bench/${step.args.join(" ")} (${new Date().toISOString()})`);
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, "bench", step.args[0]), ...step.args.slice(1)], { stdio: "inherit" });
    child.once("exit", (exitCode) => resolve(exitCode ?? 1));
  });
  console.log(`=== ${step.name}: ${code === 0 ? "done" : `FAILED (exit ${code})`} in ${Math.round((Date.now() - started) / 1000)} s`);
  if (code !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
