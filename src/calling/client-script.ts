import { readFile } from "node:fs/promises";

/**
 * The browser client as served at `/calling/client.js`. The build compiles `client/calling-client.ts` to
 * `dist/calling/client/calling-client.js`, an ES module with no imports left (its only import is type-only). When
 * the server runs from the TypeScript sources (tests, development), there is no compiled file next to this module,
 * so the client is transpiled once with the `typescript` dev dependency.
 */
export async function loadClientScript(): Promise<string> {
  try {
    const compiled = await readFile(new URL("./client/calling-client.js", import.meta.url), "utf8");
    return stripSourceMap(compiled);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const source = await readFile(new URL("./client/calling-client.ts", import.meta.url), "utf8");
  const ts = (await import("typescript")).default;
  const out = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, verbatimModuleSyntax: true },
  });
  return stripSourceMap(out.outputText);
}

function stripSourceMap(js: string): string {
  return js.replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n");
}
