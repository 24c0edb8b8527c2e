import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CLI } from "../support/cli.js";

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { ...process.env, SWITCHBOARD_REPORT_CODE_CACHE: "1" }, timeout: 60_000 }, (err, _stdout, stderr) =>
      err ? reject(err) : resolve(stderr),
    );
  });
}

const use = (stderr: string) => {
  const m = /code cache: (\d+) accepted, (\d+) rejected/.exec(stderr);
  if (m === null) throw new Error(`no code cache report in: ${stderr}`);
  return { accepted: Number(m[1]), rejected: Number(m[2]) };
};

describe("the binary's V8 code caches and its node flags (scripts/bundle-cli.mjs)", () => {
  it("run as itself (its #! line's flags), V8 takes every chunk's cache", async () => {
    const { accepted, rejected } = use(await run(CLI, ["--help"]));
    expect(accepted).toBeGreaterThan(0);
    expect(rejected).toBe(0);
  });

  it("run by `node` without those flags, V8 rejects them: the caches were made under the binary's flags", async () => {
    const { accepted, rejected } = use(await run(process.execPath, [CLI, "--help"]));
    expect(accepted).toBe(0);
    expect(rejected).toBeGreaterThan(0);
  });
});
