import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI } from "../support/cli.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/**
 * Issue 14 item 9 / issue 15 item 1: a CLI command loads only the modules it uses. The built binary runs with an ESM
 * resolve hook that records every module it loads; store commands open `core.js`, never the server's HTTP side.
 */
const work = mkdtempSync(path.join(tmpdir(), "sb-cli-imports-"));
const hooks = path.join(work, "hooks.mjs");
const register = path.join(work, "register.mjs");
writeFileSync(
  hooks,
  `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.SB_IMPORT_LOG, r.url + "\\n");
  return r;
}
`,
);
// dist/cli/main.js reads the bundle's chunks from disk and compiles them itself (scripts/bundle-cli.mjs), so besides
// the resolve hook every .cjs file the process reads is recorded.
writeFileSync(
  register,
  `import { appendFileSync } from "node:fs";
import fs from "node:fs";
import { register, syncBuiltinESMExports } from "node:module";
import { pathToFileURL } from "node:url";
register(${JSON.stringify(pathToFileURL(hooks).href)});
const readFileSync = fs.readFileSync;
fs.readFileSync = function (file, ...rest) {
  if (typeof file === "string" && file.endsWith(".cjs")) appendFileSync(process.env.SB_IMPORT_LOG, pathToFileURL(file).href + "\\n");
  return readFileSync.call(this, file, ...rest);
};
syncBuiltinESMExports();
`,
);

/**
 * dist/cli/main.js runs a bundle (scripts/bundle-cli.mjs): a loaded bundle file stands for the source modules and
 * package files it holds (dist/cli/bundle/bundle-inputs.json), named as the unbundled build would name them. Inside
 * a bundle, CommonJS packages are seen too.
 */
const bundleDir = path.join(path.dirname(CLI), "bundle");
const repoRoot = path.resolve(path.dirname(CLI), "../..");
const bundleInputs = JSON.parse(readFileSync(path.join(bundleDir, "bundle-inputs.json"), "utf8")) as Record<string, string[]>;
function throughBundle(urls: string[]): string[] {
  return urls.flatMap((url) => {
    if (!url.startsWith("file:")) return [url];
    const file = fileURLToPath(url);
    const inputs = path.dirname(file) === bundleDir ? bundleInputs[path.basename(file)] : undefined;
    if (inputs === undefined) return [url];
    return inputs.map((input) => pathToFileURL(path.join(repoRoot, input.startsWith("src/") ? input.replace(/^src\//, "dist/").replace(/\.ts$/, ".js") : input)).href);
  });
}

/** The package names and dist/ modules a command loaded (CommonJS requires outside the bundle are not seen; none of those listed are). */
function loaded(args: string[]): Promise<{ code: number; urls: string[] }> {
  const log = path.join(work, `log-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(log, "");
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", pathToFileURL(register).href, CLI, ...args], { env: { ...process.env, SB_IMPORT_LOG: log }, timeout: 60_000 }, (err, _stdout, stderr) => {
      if (err !== null && typeof err.code !== "number") return reject(new Error(`${err.message} ${stderr}`));
      import("node:fs")
        .then(({ readFileSync }) => resolve({ code: typeof err?.code === "number" ? err.code : 0, urls: throughBundle(readFileSync(log, "utf8").split("\n").filter(Boolean)) }))
        .catch(reject);
    });
  });
}

/** Like `loaded`, for `start`: the server is stopped (SIGTERM) once it announces itself. */
function loadedByStart(args: string[]): Promise<{ banner: boolean; urls: string[] }> {
  const log = path.join(work, `log-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(log, "");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", pathToFileURL(register).href, CLI, "start", ...args], {
      env: { ...process.env, SB_IMPORT_LOG: log, SWITCHBOARD_LOG_LEVEL: "error" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("Switchboard is running")) child.kill("SIGTERM");
    });
    child.on("error", reject);
    child.on("exit", () => {
      clearTimeout(timer);
      resolve({ banner: out.includes("Switchboard is running"), urls: throughBundle(readFileSync(log, "utf8").split("\n").filter(Boolean)) });
    });
  });
}

const packagesOf = (urls: string[]) =>
  new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []));
const distModules = (urls: string[]) => new Set(urls.flatMap((u) => /\/dist\/(.+\.js)$/.exec(u)?.[1] ?? []));

describe("CLI module loading", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ backend: "sqlite" });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("keys list opens the core without the server's HTTP side, the PostgreSQL driver or the SMTP relay", async () => {
    const { code, urls } = await loaded(["keys", "list", "--data-dir", srv.dataDir, "--json"]);
    expect(code).toBe(0);
    const modules = distModules(urls);
    expect(modules.has("core.js")).toBe(true);
    expect(modules.has("app.js")).toBe(false);
    expect([...modules].filter((m) => m.startsWith("http/http-app") || m.startsWith("calling/calling-service") || m.startsWith("telemetry/metrics"))).toEqual([]);
    const packages = packagesOf(urls);
    expect(packages.has("kysely")).toBe(true); // the store is opened
    for (const unused of ["fastify", "ws", "selfsigned", "pg", "nodemailer", "prom-client", "libphonenumber-js"]) expect(packages.has(unused), unused).toBe(false);
  });

  it("start on SQLite loads the server but not the PostgreSQL driver or the SMTP relay", async () => {
    const dataDir = mkdtempSync(path.join(work, "start-"));
    const { banner, urls } = await loadedByStart(["--data-dir", dataDir, "--port", "0", "--http-port", "0"]);
    expect(banner).toBe(true);
    expect(distModules(urls).has("app.js")).toBe(true);
    const packages = packagesOf(urls);
    expect(packages.has("fastify")).toBe(true);
    // (ajv sits in fastify's chunk, read but never evaluated: a chunk is the finest grain this test sees.)
    for (const unused of ["pg", "pg-protocol", "pg-pool", "nodemailer"]) expect(packages.has(unused), unused).toBe(false);
    expect([...distModules(urls)].filter((m) => m.startsWith("realtime/pg-") || m.startsWith("store/pg-"))).toEqual([]);
  });

  it("--help loads no store module", async () => {
    const { code, urls } = await loaded(["--help"]);
    expect(code).toBe(0);
    const packages = packagesOf(urls);
    for (const unused of ["kysely", "better-sqlite3", "pg", "jose", "fastify", "ws", "selfsigned", "nodemailer"]) expect(packages.has(unused), unused).toBe(false);
    expect([...distModules(urls)].filter((m) => m.startsWith("store/") || m === "core.js" || m === "app.js")).toEqual([]);
  });
});
