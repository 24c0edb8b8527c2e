import { Command } from "commander";
import { vi } from "vitest";
import { registerConsoleCommand } from "../../src/cli/console-command.js";
import { recordSecrets } from "../support/secret-scan.js";
import type { TestServer } from "../support/test-server.js";

/** Runs `switchboard console link --json` in this process against the test server's store; returns the link. */
export async function consoleLink(srv: TestServer, extra: string[] = ["--operator", "alice"]): Promise<string> {
  const program = new Command().name("switchboard").exitOverride();
  registerConsoleCommand(program);
  const args = ["console", "link", "--json", ...extra, "--base-url", srv.httpsUrl, "--data-dir", srv.dataDir];
  const url = srv.server.core.config.databaseUrl;
  if (url !== undefined) args.push("--database-url", url);
  let out = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  try {
    await program.parseAsync(args, { from: "user" });
  } finally {
    spy.mockRestore();
  }
  const link = (JSON.parse(out) as { url: string }).url;
  recordSecrets([new URL(link).searchParams.get("token")!]);
  return link;
}
