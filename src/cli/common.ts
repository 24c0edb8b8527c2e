import type { Command } from "commander";
import { openCore, type Core } from "../app.js";
import { loadConfig, type Config, type ConfigInput } from "../config/config.js";

/** Options every command accepts: where the state lives. */
export interface StoreOptions {
  dataDir?: string;
  databaseUrl?: string;
  config?: string;
}

export function addStoreOptions(command: Command): Command {
  return command
    .option("--data-dir <dir>", "data directory (SQLite file, TLS certificate)", undefined)
    .option("--database-url <url>", "PostgreSQL URL (postgres://…); default: the SQLite file in the data dir")
    .option("--config <file>", "JSON configuration file");
}

export function configFrom(options: StoreOptions, overrides: ConfigInput = {}): Config {
  return loadConfig({
    ...(options.config !== undefined ? { file: options.config } : {}),
    env: process.env,
    overrides: {
      ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
      ...(options.databaseUrl !== undefined ? { databaseUrl: options.databaseUrl } : {}),
      ...overrides,
    },
  });
}

/** Config for commands other than `start`: their stdout is the command's answer, so the log stays quiet. */
export function commandConfigFrom(options: StoreOptions, overrides: ConfigInput = {}): Config {
  return configFrom(options, { log: { level: "error", file: undefined }, ...overrides });
}

/** Opens the core services for one command and always closes them. */
export async function withCore<T>(options: StoreOptions, fn: (core: Core) => Promise<T>): Promise<T> {
  const core = await openCore(commandConfigFrom(options));
  try {
    return await fn(core);
  } finally {
    await core.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Parses an integer option or fails with one clear line. */
export function intOption(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got '${value}'`);
  return n;
}
