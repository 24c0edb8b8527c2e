#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { ConfigError } from "../config/config.js";
import { AcsError } from "../http/errors.js";
import { registerActivityCommand } from "./activity-command.js";
import { registerEmailCommand } from "./email-command.js";
import { registerCallsCommand } from "./calls-command.js";
import { registerConsoleCommand } from "./console-command.js";
import { registerIdentityCommand } from "./identity-command.js";
import { registerKeysCommand } from "./keys-command.js";
import { registerMiCommand } from "./mi-command.js";
import { registerTrustedAuthCommand } from "./trusted-auth-command.js";
import { registerOutboxCommand } from "./outbox-command.js";
import { registerRoleCommand } from "./role-command.js";
import { registerSpCommand } from "./sp-command.js";
import { registerUserCommand } from "./user-command.js";
import { registerSigningKeysCommand } from "./signing-keys-command.js";
import { registerSmsCommand } from "./sms-command.js";
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
  registerIdentityCommand(program);
  registerSigningKeysCommand(program);
  registerActivityCommand(program);
  registerEmailCommand(program);
  registerOutboxCommand(program);
  registerSmsCommand(program);
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
  if (err instanceof ConfigError) return err.message;
  if (err instanceof AcsError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    process.stderr.write(`switchboard: ${describeError(err)}\n`);
    process.exit(1);
  }
}

await main();
