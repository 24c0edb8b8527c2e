import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { vi } from "vitest";
import { registerMiCommand } from "../../src/cli/mi-command.js";
import { registerRoleCommand } from "../../src/cli/role-command.js";
import { registerSpCommand } from "../../src/cli/sp-command.js";
import { registerTrustedAuthCommand } from "../../src/cli/trusted-auth-command.js";
import { registerUserCommand } from "../../src/cli/user-command.js";
import type { TestServer } from "../support/test-server.js";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs `switchboard <args>` in this process against the test server's store (as entra-support's runCli). */
export async function runSigninCli(srv: TestServer, args: string[]): Promise<string> {
  const program = new Command().name("switchboard").exitOverride();
  registerSpCommand(program);
  registerUserCommand(program);
  registerRoleCommand(program);
  registerMiCommand(program);
  registerTrustedAuthCommand(program);
  const store = ["--data-dir", srv.dataDir];
  const url = srv.server.core.config.databaseUrl;
  if (url !== undefined) store.push("--database-url", url);
  let out = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  try {
    await program.parseAsync([...args, ...store], { from: "user" });
  } finally {
    spy.mockRestore();
  }
  return out;
}

export interface ChildResult {
  ok: boolean;
  user?: string;
  status?: number | null;
  code?: string | null;
  message?: string;
  ms: number;
}

/** Runs test/signin/mi-child.mjs with exactly `env` (plus NODE_EXTRA_CA_CERTS) as its environment. */
export function runWorkload(env: Record<string, string>, args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(here, "mi-child.mjs"), ...args],
      { env: { ...env, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS! }, timeout: 60_000, cwd: here },
      (err, stdout, stderr) => {
        const line = stdout.trim().split("\n").pop() ?? "";
        try {
          resolve(JSON.parse(line) as ChildResult);
        } catch {
          reject(new Error(`workload failed: ${err?.message ?? ""} ${stderr}`));
        }
      },
    );
  });
}

/** Records secrets the end-of-run log scan must not find (beside the access keys test-server.ts records). */
export { recordSecrets } from "../support/secret-scan.js";
