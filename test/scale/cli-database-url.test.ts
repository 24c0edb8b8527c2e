import { describe, expect, it } from "vitest";
import { runCli } from "./child-server.js";

/** The command names listed under "Commands:" in a commander help text (without `help`). */
function commandsIn(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1];
  if (section === undefined) return [];
  return section
    .split("\n")
    .map((line) => /^ {2}(\S+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== "help");
}

describe("every CLI command can act on a PostgreSQL database", () => {
  it("lists --database-url on every leaf command, found by walking the help", async () => {
    const top = commandsIn(await runCli(["--help"]));
    expect(top).toContain("start");
    const leaves: string[][] = [];
    await Promise.all(
      top.map(async (name) => {
        const subs = commandsIn(await runCli([name, "--help"]));
        if (subs.length === 0) leaves.push([name]);
        else for (const sub of subs) leaves.push([name, sub]);
      }),
    );
    expect(leaves.length).toBeGreaterThan(5);
    const missing: string[] = [];
    await Promise.all(
      leaves.map(async (path) => {
        const help = await runCli([...path, "--help"]);
        if (!help.includes("--database-url <url>")) missing.push(path.join(" "));
      }),
    );
    expect(missing).toEqual([]);
  }, 120_000);
});
