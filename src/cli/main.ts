#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Command, CommanderError } from "commander";
import { WireError } from "../errors/wire-error.js";
import { registerActivityCommand } from "./activity-command.js";
import { registerEmailCommand } from "./email-command.js";
import { registerEnvCommand } from "./env-command.js";
import { registerCallsCommand } from "./calls-command.js";
import { registerConsoleCommand } from "./console-command.js";
import { registerIdentityCommand } from "./identity-command.js";
import { registerKeysCommand } from "./keys-command.js";
import { registerMiCommand } from "./mi-command.js";
import { registerTrustedAuthCommand } from "./trusted-auth-command.js";
import { registerResourceCommand } from "./resource-command.js";
import { registerStoreCommand } from "./store-command.js";
import { registerOutboxCommand } from "./outbox-command.js";
import { registerRoleCommand } from "./role-command.js";
import { registerSpCommand } from "./sp-command.js";
import { registerUserCommand } from "./user-command.js";
import { registerSigningKeysCommand } from "./signing-keys-command.js";
import { registerSmsCommand } from "./sms-command.js";
import { registerEventsCommand } from "./events-command.js";
import { registerStartCommand } from "./start-command.js";

/** The `switchboard` command line. Every failure exits non-zero with one clear line on stderr. */
export function buildProgram(): Command {
  const program = new Command()
    .name("switchboard")
    .description("Self-hostable identity and authentication server, wire-compatible with Azure Communication Services")
    .showHelpAfterError()
    // Options after a subcommand's name belong to that subcommand (`activity summary --identity X`).
    .enablePositionalOptions()
    .exitOverride();
  registerStartCommand(program);
  registerKeysCommand(program);
  registerEnvCommand(program);
  registerResourceCommand(program);
  registerStoreCommand(program);
  registerIdentityCommand(program);
  registerSigningKeysCommand(program);
  registerActivityCommand(program);
  registerEmailCommand(program);
  registerOutboxCommand(program);
  registerSmsCommand(program);
  registerEventsCommand(program);
  registerSpCommand(program);
  registerUserCommand(program);
  registerRoleCommand(program);
  registerCallsCommand(program);
  registerMiCommand(program);
  registerTrustedAuthCommand(program);
  registerConsoleCommand(program);
  return program;
}

function describeError(err: unknown): string {
  if (err instanceof WireError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs `switchboard <args>` in this process and resolves to its exit code; a failure is one line on stderr. The
 * binary below and the tests' in-process runner both go through here.
 */
export async function runCommandLine(args: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...args], { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`switchboard: ${describeError(err)}\n`);
    return 1;
  }
}

/** True when this module is the process's entry point (also through npm's bin symlink), not an import. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // A finished command exits at once; `start` returns 0 with its server still listening, so it is left running.
  // (No top-level await: the bundle runs this module as a CommonJS script, scripts/bundle-cli.mjs.)
  void runCommandLine(process.argv.slice(2)).then((code) => {
    if (code !== 0) process.exit(code);
  });
}
