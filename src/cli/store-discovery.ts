import { existsSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config/config.js";

/** The project-level configuration file the CLI looks for (in the working folder or a parent) when --config is not given. */
export const PROJECT_CONFIG_FILE = "switchboard.json";

/** The nearest `switchboard.json` from `dir` upwards, or undefined. */
export function findProjectConfig(dir: string): string | undefined {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const candidate = path.join(current, PROJECT_CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(current) === current) return undefined;
  }
}

/** The SQLite file of a data directory (the store every non-start command acts on). */
export function storeFileOf(dataDir: string): string {
  return path.join(dataDir, "switchboard.db");
}

/** Which store a configuration names, in words (for --help, --verbose and the refusals). */
export function describeStore(config: Pick<Config, "databaseUrl" | "inMemory" | "dataDir">): string {
  if (config.databaseUrl !== undefined) return `PostgreSQL ${redactUrl(config.databaseUrl)}`;
  if (config.inMemory) return "in memory (the server process only)";
  return `SQLite ${storeFileOf(config.dataDir)}`;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}

/**
 * Commands other than `start` act on an existing store and never create one: from another folder they would
 * otherwise open a new, empty store and print keys the running server refuses. Throws with the fix.
 */
export function requireExistingStore(config: Pick<Config, "databaseUrl" | "inMemory" | "dataDir">): void {
  if (config.inMemory) {
    throw new Error(
      "in-memory state lives only inside the server process (start --in-memory), so CLI commands cannot act on it; " +
        "start the server without --in-memory (a data dir or --database-url), or use --dev for fixed, well-known keys (switchboard env --dev)",
    );
  }
  if (config.databaseUrl !== undefined) return;
  const file = storeFileOf(config.dataDir);
  if (!existsSync(file)) {
    // A server started here with --in-memory leaves its certificate but no store.
    const inMemoryHint = existsSync(path.join(config.dataDir, "tls")) ? " (a server started here with --in-memory keeps its state inside its process)" : "";
    throw new Error(
      `no store at ${file}; start the server there first (switchboard start --data-dir ${config.dataDir}) or pass --data-dir / --database-url${inMemoryHint}`,
    );
  }
}
