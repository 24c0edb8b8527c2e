// Build step after `tsc` (bench/RESULTS.md, "Startup and CLI"): the `switchboard` command line, src/cli/main.ts and
// everything it imports (the server included), becomes a few files in dist/cli/bundle/ instead of ~1,100 modules:
//  1. esbuild bundles it, split at every dynamic `import()`: a CLI command loads only the chunks of the modules it
//     runs; `start` loads the server's.
//  2. Each chunk becomes a CommonJS script, which dist/cli/main.js (the `switchboard` binary, written here) compiles
//     with node:vm and a V8 code cache (`<chunk>.cache`). Node 20 has no compile cache for ES modules
//     (module.enableCompileCache came in Node 22); the cache spares parsing and compiling the code at every start.
//  3. The caches are made by running the new binary once (`start --in-memory`) and saving what V8 compiled. A cache
//     that does not fit the running Node (another version or V8 flags) is rejected by V8 and the chunk is compiled
//     as usual.
// tsc's per-module output in dist/ stays what the package's `main` (dist/app.js) and the tests' loaders use; the
// bundle refers to two files of it at run time (the SQLite writer thread and the browser calling client).
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, transform } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = path.join(root, "src");
const cliDir = path.join(root, "dist", "cli");
const outdir = path.join(cliDir, "bundle");

/**
 * V8 heap flags the binary runs with, in its #! line (bench/RESULTS.md, "A million identities": the server's RSS under
 * load). V8 sizes a heap whose limit is ≥ 2 GB for throughput: a 32 MB young generation and an old generation left to
 * grow to ~4× what is live before the next full collection, so a server with ~25 MB live sat at 180–210 MB. A 512 MB
 * limit (V8 then grows the old generation in smaller steps) and an 8 MB semi-space keep it under 150 MB. The
 * semi-space was 4 MB until the activity writer's page cache shrank from 16 to 2 MB (bench/RESULTS.md "Issue 15: fifth
 * pass"): 8 MB halves the scavenges, each about as long as before (their cost is the requests in flight, not the
 * garbage), for ~8 MB of RSS. The code caches are made with the same flags: V8 rejects a cache made under other flags,
 * so `node dist/cli/main.js` without them still works, only compiling each chunk as it loads.
 */
const NODE_FLAGS = ["--max-semi-space-size=8", "--max-old-space-size=512"];

/**
 * A module that finds a file beside itself (`new URL("./x", import.meta.url)`) must keep finding it beside its
 * tsc-compiled copy in dist/: its `import.meta.url` becomes the URL that copy has, computed from the bundle's own
 * (every bundle file lives in dist/cli/bundle/, so the relative path is fixed and the package stays relocatable).
 */
const importMetaUrlOfOwnCopy = {
  name: "import-meta-url-of-own-copy",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(src + path.sep)) return undefined;
      const text = await readFile(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const compiled = path.join(root, "dist", path.relative(src, args.path)).replace(/\.ts$/, ".js");
      const relative = path.relative(outdir, compiled).split(path.sep).join("/");
      return { contents: text.replaceAll("import.meta.url", `new URL(${JSON.stringify(relative)}, require("node:url").pathToFileURL(__filename)).href`), loader: "ts" };
    });
  },
};

/**
 * zod re-exports its 40-odd message locales as `z.locales` (290 KB of the bundle, parsed by every command). Switchboard
 * uses only the English messages zod sets itself (zod/v4/classic/schemas.js imports locales/en.js directly), so
 * in the bundle `z.locales` holds `en` alone.
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer)) return undefined;
      return { path: path.join(path.dirname(args.importer), "..", "locales", "index.js"), namespace: "zod-locales" };
    });
    b.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
      contents: 'export { default as en } from "./en.js";\n',
      resolveDir: path.dirname(args.path),
      loader: "js",
    }));
  },
};

const external = ["better-sqlite3", "selfsigned", "nodemailer", "pg-native", "bufferutil", "utf-8-validate", "libphonenumber-js", "typescript"];
const result = await build({
  entryPoints: { main: path.join(src, "cli", "main.ts") },
  outdir,
  write: false,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  chunkNames: "chunk-[hash]",
  metafile: true,
  logLevel: "warning",
  plugins: [importMetaUrlOfOwnCopy, zodEnglishOnly],
  // Native code, and dependencies loaded only on a path few runs take (first start, SMTP relay, pg-native).
  external,
});

await rm(outdir, { recursive: true, force: true });
// tsc's source map of src/cli/main.ts does not describe the binary written below.
await rm(path.join(cliDir, "main.js.map"), { force: true });
await mkdir(outdir, { recursive: true });
const cjsName = (file) => path.basename(file).replace(/\.js$/, ".cjs");
for (const file of result.outputFiles) {
  // ES module chunk → CommonJS script: imports of other chunks become require("./chunk-….js") (main.js maps them to
  // the .cjs files), dynamic import() becomes a require in a promise (a vm script has no import()).
  const { code } = await transform(file.text, {
    format: "cjs",
    platform: "node",
    target: "node20",
    supported: { "dynamic-import": false },
    // Whitespace and syntax only: names stay readable in stack traces and `constructor.name`.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
  });
  await writeFile(path.join(outdir, cjsName(file.path)), code.replace(/^#!.*\n/, "")); // main.ts's #! line
}

// Which source modules and packages each bundle file holds (test/cli/cli-imports.test.ts reads it).
const outputs = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (!file.endsWith(".js")) continue;
  outputs[cjsName(file)] = Object.keys(out.inputs).map((input) => path.relative(root, path.resolve(root, input.replace(/^[a-z-]+:/, ""))).split(path.sep).join("/"));
}
await writeFile(path.join(outdir, "bundle-inputs.json"), `${JSON.stringify(outputs, null, 1)}\n`);

/**
 * libuv's thread pool signs the user tokens (src/keys/jws-signature.ts) and syncs the WAL. Its default of 4 threads
 * put four signatures beside the request thread on a 2-core machine: one per core (at least 2) served
 * createUserAndToken 5–8% faster (bench/RESULTS.md, "Issue 15: fourth pass"). libuv reads UV_THREADPOOL_SIZE when the
 * pool starts, at its first use; Node's ES module loader reads the entry file through the pool, so the binary is a
 * CommonJS script (dist/cli/package.json) and sizes the pool on its first line. An operator's UV_THREADPOOL_SIZE wins.
 */
const SIZE_THREAD_POOL = `if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(Math.max(2, require("node:os").availableParallelism()));`;

// The binary: loads dist/cli/bundle/main.cjs and, through its require, the chunks it needs.
await writeFile(path.join(cliDir, "package.json"), `${JSON.stringify({ "//": "main.js, the switchboard binary, is a CommonJS script (scripts/bundle-cli.mjs); nothing else here is loaded", type: "commonjs" }, null, 1)}\n`);
await writeFile(
  path.join(cliDir, "main.js"),
  `#!/usr/bin/env -S node ${NODE_FLAGS.join(" ")}
// The \`switchboard\` binary, written by scripts/bundle-cli.mjs: runs the bundle in ./bundle/ (CommonJS chunks of
// src/cli/main.ts and what it imports), each chunk compiled with its V8 code cache when V8 accepts it.
"use strict";
${SIZE_THREAD_POOL}
const { readFileSync, writeFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const path = require("node:path");
const vm = require("node:vm");

const dir = path.join(__dirname, "bundle");
const nodeRequire = createRequire(path.join(dir, "main.cjs"));
const modules = new Map();
const scripts = [];
const cacheUse = { accepted: [], rejected: [] };
function bundleRequire(specifier) {
  return specifier.startsWith("./") ? load(specifier.slice(2).replace(/\\.js$/, ".cjs")) : nodeRequire(specifier);
}
bundleRequire.resolve = nodeRequire.resolve;
bundleRequire.cache = nodeRequire.cache;
function load(name) {
  const known = modules.get(name);
  if (known !== undefined) return known.exports;
  const file = path.join(dir, name);
  let cachedData;
  try {
    cachedData = readFileSync(file + ".cache");
  } catch {}
  const script = new vm.Script("(function (exports, require, module, __filename, __dirname) {" + readFileSync(file, "utf8") + "\\n})", { filename: file, cachedData });
  if (cachedData !== undefined) (script.cachedDataRejected ? cacheUse.rejected : cacheUse.accepted).push(name);
  const module = { exports: {} };
  modules.set(name, module);
  scripts.push([file, script]);
  script.runInThisContext().call(module.exports, module.exports, bundleRequire, module, file, dir);
  return module.exports;
}
// Which chunks' caches V8 took (a cache made under other node flags or another Node is rejected), on stderr at exit.
if (process.env.SWITCHBOARD_REPORT_CODE_CACHE === "1") {
  process.on("exit", () => process.stderr.write(\`code cache: \${cacheUse.accepted.length} accepted, \${cacheUse.rejected.length} rejected\\n\`));
}
// The build runs the binary once with this set, then keeps what V8 compiled for the chunks that ran.
if (process.env.SWITCHBOARD_WRITE_CODE_CACHE === "1") {
  process.on("exit", () => {
    for (const [file, script] of scripts) writeFileSync(file + ".cache", script.createCachedData());
  });
}
load("main.cjs");
`,
);

// The code caches: one start (store, certificate, server) of the new binary, stopped once it serves. It runs in an
// empty folder without SWITCHBOARD_* variables, so the builder's own configuration (a database URL, a
// switchboard.json) is not used. Without caches the binary still works (each chunk is compiled at every start), so
// a failed run is a warning.
const work = await mkdtemp(path.join(tmpdir(), "switchboard-code-cache-"));
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("SWITCHBOARD_")));
try {
  await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, path.join(cliDir, "main.js"), "start", "--in-memory", "--data-dir", work, "--port", "0", "--http-port", "off"], {
      cwd: work,
      env: { ...env, SWITCHBOARD_WRITE_CODE_CACHE: "1", SWITCHBOARD_LOG_LEVEL: "error" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("Switchboard is running")) child.kill("SIGTERM");
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (out.includes("Switchboard is running") && code === 0) resolve();
      else reject(new Error(`the code-cache run of dist/cli/main.js failed (${signal ?? code}):\n${out}`));
    });
  });
} catch (err) {
  console.warn(`bundle-cli: no V8 code caches (the CLI compiles its chunks at every start): ${err.message}`);
  for (const name of await readdir(outdir)) if (name.endsWith(".cache")) await rm(path.join(outdir, name));
} finally {
  await rm(work, { recursive: true, force: true });
}
