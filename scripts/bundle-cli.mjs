// Build step after `tsc`: bundles the `switchboard` command line (src/cli/main.ts and everything it imports, the
// server included) into dist/cli/main.js plus a few chunks beside it, so a start resolves and reads a handful of
// files instead of ~1,100 modules (bench/RESULTS.md, "Startup and CLI"). Dynamic `import()`s stay split points: a
// CLI command loads only the chunks of the modules it runs; `start` loads the server's.
// tsc's per-module output in dist/ stays what the package's `main` (dist/app.js) and the tests' loaders use; the
// bundle refers to two files of it at run time (the SQLite writer thread and the browser calling client).
import { readFile, rm, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = path.join(root, "src");
const outdir = path.join(root, "dist", "cli");

/**
 * A module that finds a file beside itself (`new URL("./x", import.meta.url)`) must keep finding it beside its
 * tsc-compiled copy in dist/: its `import.meta.url` becomes the URL that copy has, computed from the bundle's own
 * (every bundle file lives in dist/cli/, so the relative path is fixed and the package stays relocatable).
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
      return { contents: text.replaceAll("import.meta.url", `new URL(${JSON.stringify(relative)}, import.meta.url).href`), loader: "ts" };
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

// Earlier bundle chunks (their names carry a content hash) go before a new build writes its own.
for (const name of await readdir(outdir).catch(() => [])) {
  if (/^chunk-[A-Z0-9]+\.js(\.map)?$/.test(name)) await rm(path.join(outdir, name));
}

const result = await build({
  entryPoints: { main: path.join(src, "cli", "main.ts") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  chunkNames: "chunk-[hash]",
  sourcemap: "linked",
  // Whitespace and syntax only: names stay readable in stack traces and `constructor.name`.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  plugins: [importMetaUrlOfOwnCopy, zodEnglishOnly],
  // Native code, and dependencies loaded only on a path few runs take (first start, SMTP relay, pg-native).
  external: ["better-sqlite3", "selfsigned", "nodemailer", "pg-native", "bufferutil", "utf-8-validate", "libphonenumber-js", "typescript"],
  // Bundled CommonJS packages call require() and read __dirname; an ES module has neither.
  banner: {
    js: [
      'import { createRequire as __sbCreateRequire } from "node:module";',
      'import { fileURLToPath as __sbFileURLToPath } from "node:url";',
      "const require = __sbCreateRequire(import.meta.url);",
      "const __filename = __sbFileURLToPath(import.meta.url);",
      'const __dirname = __sbFileURLToPath(new URL(".", import.meta.url));',
    ].join("\n"),
  },
});
// Which source modules and packages each output file holds (test/cli/cli-imports.test.ts reads it).
const outputs = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (!file.endsWith(".js")) continue;
  outputs[path.basename(file)] = Object.keys(out.inputs).map((input) => path.relative(root, path.resolve(root, input.replace(/^[a-z-]+:/, ""))).split(path.sep).join("/"));
}
await writeFile(path.join(outdir, "bundle-inputs.json"), `${JSON.stringify(outputs, null, 1)}\n`);
