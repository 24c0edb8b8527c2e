import { describe, expect, it } from "vitest";
import { runCliInProcess } from "../support/cli.js";

/** `switchboard <args>`'s stdout, in this process (help texts: no store is opened). */
async function runCli(args: string[]): Promise<string> {
  const res = await runCliInProcess(args);
  if (res.code !== 0) throw new Error(`switchboard ${args.join(" ")} exited ${res.code}: ${res.stderr}`);
  return res.stdout;
}

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
      // One at a time: the in-process runner captures this process's stdout.
      if (subs.length > 0) {
        for (const sub of subs) await walk([...path, sub]);
        return;
      }
      leaves.push(path);
      if (!help.includes("--database-url <url>")) missing.push(path.join(" "));
    };
    for (const name of top) await walk([name]);
    expect(leaves.length).toBeGreaterThan(5);
    expect(missing).toEqual([]);
  });
});
