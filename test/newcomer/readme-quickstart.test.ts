import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI } from "../support/cli.js";
import { freePort, run, startServer } from "./newcomer-support.js";

const repo = path.resolve(path.dirname(CLI), "../..");

/** The README's code block after `<!-- quickstart: NAME -->`. */
function readmeBlock(name: string): string {
  const readme = readFileSync(path.join(repo, "README.md"), "utf8");
  const m = new RegExp(`<!-- quickstart: ${name.replace(".", "\\.")} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  if (m === null) throw new Error(`README has no quickstart block '${name}'`);
  return m[1]!;
}

/** Shell lines without their comments. */
const commands = (block: string) => block.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => l !== "");

/**
 * The README's quick start as a newcomer runs it, in a temporary folder outside the clone: the documented PATH
 * recipe (npm link, into a private npm prefix), `switchboard start --dev`, `eval "$(switchboard env --dev)"`, and
 * the chat example file, copied verbatim from the README. Only `npm install` of the SDKs is replaced by a link to
 * the clone's node_modules (the same packages; the test machine has no registry access to spare).
 */
describe("README quick start", () => {
  it("works from an empty folder outside the clone", async () => {
    const home = mkdtempSync(path.join(tmpdir(), "sb-readme-"));
    const prefix = path.join(home, "npm-global");
    mkdirSync(prefix);
    const env = {
      npm_config_prefix: prefix,
      PATH: `${path.join(prefix, "bin")}:${process.env.PATH}`,
      SWITCHBOARD_PORT: String(await freePort()),
      SWITCHBOARD_HTTP_PORT: String(await freePort()),
      NODE_EXTRA_CA_CERTS: "",
      SWITCHBOARD_DATA_DIR: "",
    };

    // 1. `switchboard` on the PATH, as the README says, run from the clone.
    const [link] = commands(readmeBlock("path"));
    expect(link).toBe("npm link --ignore-scripts");
    const linked = await run("bash", ["-c", link!], { cwd: repo, env });
    expect(linked.code, linked.stderr).toBe(0);
    expect(existsSync(path.join(prefix, "bin", "switchboard"))).toBe(true);

    // 2. The first-five-minutes shell block, line by line, in the empty folder.
    const lines = commands(readmeBlock("shell"));
    expect(lines[0]).toBe("switchboard start --dev &");
    const server = await startServer(path.join(prefix, "bin", "switchboard"), ["start", "--dev"], { cwd: home, env });
    try {
      writeFileSync(path.join(home, "chat.mjs.template"), readmeBlock("chat.mjs"));
      const script = lines
        .slice(1)
        .map((l) =>
          l.startsWith("npm install ")
            ? `ln -s "${path.join(repo, "node_modules")}" node_modules && cp ../chat.mjs.template chat.mjs`
            : l,
        )
        .join("\n");
      const res = await run("bash", ["-c", `set -euo pipefail\n${script}`], { cwd: home, env });
      expect(res.stderr).toBe("");
      expect(res.stdout.trim()).toBe("Alice: Hello, Bob!");
    } finally {
      await server.stop();
    }
    expect(existsSync(path.join(home, ".switchboard", "switchboard.db"))).toBe(true);
  }, 120_000);

  it("the clone's ./switchboard wrapper runs this clone's CLI from any folder, also through a symlink on the PATH", async () => {
    const bin = mkdtempSync(path.join(tmpdir(), "sb-wrapper-"));
    symlinkSync(path.join(repo, "switchboard"), path.join(bin, "switchboard"));
    const res = await run("switchboard", ["env", "--dev"], { cwd: tmpdir(), env: { PATH: `${bin}:${process.env.PATH}`, SWITCHBOARD_DATA_DIR: "" } });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^export COMMUNICATION_SERVICES_CONNECTION_STRING='endpoint=https:\/\/127\.0\.0\.1:8443\/;accesskey=/m);
  });
});
