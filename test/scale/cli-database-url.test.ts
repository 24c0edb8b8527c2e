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
  it("lists --database-url on every leaf command, found by walking the help tree", async () => {
    const top = commandsIn(await runCli(["--help"]));
    expect(top).toContain("start");
    const leaves: string[][] = [];
    const missing: string[] = [];
    const walk = async (path: string[]): Promise<void> => {
      const help = await runCli([...path, "--help"]);
      const subs = commandsIn(help);
      if (subs.length > 0) return void (await Promise.all(subs.map((sub) => walk([...path, sub]))));
      leaves.push(path);
      if (!help.includes("--database-url <url>")) missing.push(path.join(" "));
    };
    await Promise.all(top.map((name) => walk([name])));
    expect(leaves.length).toBeGreaterThan(5);
    expect(missing).toEqual([]);
  }, 120_000);
});
