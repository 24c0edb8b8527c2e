import type { Command } from "commander";
import type { Core } from "../core.js";
import { loadConfig, type Config, type ConfigInput } from "../config/config.js";
import { describeStore, findProjectConfig, requireExistingStore } from "./store-discovery.js";

/** Options every command accepts: where the state lives. */
export interface StoreOptions {
  dataDir?: string;
  databaseUrl?: string;
  config?: string;
  verbose?: boolean;
}

export function addStoreOptions(command: Command): Command {
  return command
    .option("--data-dir <dir>", "data directory (SQLite file, TLS certificate)", undefined)
    .option("--database-url <url>", "PostgreSQL URL (postgres://…); default: the SQLite file in the data dir")
    .option("--config <file>", `JSON configuration file (default: the nearest ./switchboard.json upwards)`)
    .option("--verbose", "say which store and configuration the command acts on (on stderr)")
    .addHelpText(
      "after",
      () =>
        "\nStore: --database-url, else SWITCHBOARD_DATABASE_URL, else the SQLite file in --data-dir (SWITCHBOARD_DATA_DIR, the\n" +
        "config file's dataDir, default ./.switchboard). Commands other than `start` never create a store.\n" +
        `Here, without flags: ${storeHere()}`,
    );
}

/** Which store a command run here without flags would use (for --help); a configuration problem is named instead. */
function storeHere(): string {
  try {
    const file = findProjectConfig(process.cwd());
    return `${describeStore(configFrom({}))}${file !== undefined ? ` (from ${file})` : ""}`;
  } catch (err) {
    return `(configuration problem: ${(err as Error).message.split("\n").join(" ")})`;
  }
}

/** The configuration a command runs with: --config, else the project's switchboard.json, then env, then flags. */
export function configFrom(options: StoreOptions, overrides: ConfigInput = {}): Config {
  const file = options.config ?? findProjectConfig(process.cwd());
  const config = loadConfig({
    ...(file !== undefined ? { file } : {}),
    env: process.env,
    overrides: {
      ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
      ...(options.databaseUrl !== undefined ? { databaseUrl: options.databaseUrl } : {}),
      ...overrides,
    },
  });
  if (options.verbose === true) {
    process.stderr.write(`switchboard: store ${describeStore(config)}${file !== undefined ? `; config ${file}` : ""}\n`);
  }
  return config;
}

/** Config for commands other than `start`: their stdout is the command's answer, so the log stays quiet. */
export function commandConfigFrom(options: StoreOptions, overrides: ConfigInput = {}): Config {
  return configFrom(options, { log: { level: "error", file: undefined }, ...overrides });
}

/** Opens the core services of an existing store (never a new one) for one command and always closes them. */
export async function withCore<T>(options: StoreOptions, fn: (core: Core) => Promise<T>): Promise<T> {
  const config = commandConfigFrom(options);
  requireExistingStore(config);
  const { openCore } = await import("../core.js");
  const core = await openCore(config);
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
