import type { Command } from "commander";
import { loadConfig, type Config } from "../config/config.js";
import { addStoreOptions, commandConfigFrom, type StoreOptions } from "./common.js";

// The store modules are loaded when a subcommand runs, not for `--help` or other commands.
async function openRaw(config: Config) {
  const [{ openStore }, { openActivityStorage }] = await Promise.all([import("../store/store.js"), import("../activity/activity-storage.js")]);
  const store = await openStore(config);
  const activity = await openActivityStorage(config, store).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  return { store, activity, close: async () => (await activity.close(), await store.close()) };
}

/** Moving a store: copy it to another backend, or back up a SQLite store (docs/postgres.md). */
export function registerStoreCommand(program: Command): void {
  const store = program.command("store").description("copy or back up the whole store");

  addStoreOptions(
    store
      .command("copy")
      .description("copy the whole store (--data-dir / --database-url) into a new, empty one")
      .requiredOption("--to <target>", "postgres://… (an empty database or schema), or a new SQLite data directory"),
  ).action(async (options: StoreOptions & { to: string }) => {
    const fromConfig = commandConfigFrom(options);
    // The target is exactly what --to names: no environment variable (SWITCHBOARD_DATABASE_URL …) may redirect it.
    const quiet = { log: { level: "error" as const } };
    const toConfig = /^postgres(ql)?:\/\//.test(options.to)
      ? loadConfig({ overrides: { ...quiet, databaseUrl: options.to } })
      : loadConfig({ overrides: { ...quiet, dataDir: options.to } });
    const from = await openRaw(fromConfig);
    try {
      const to = await openRaw(toConfig);
      try {
        const { copyStore } = await import("../store/store-copy.js");
        const report = await copyStore(from, to);
        const rows = Object.values(report.tables).reduce((a, b) => a + b, 0);
        process.stdout.write(`copied ${rows} rows in ${Object.keys(report.tables).length} tables and ${report.activityEvents} activity events\n`);
      } finally {
        await to.close();
      }
    } finally {
      await from.close();
    }
  });

  addStoreOptions(
    store
      .command("backup")
      .description("online backup of a SQLite store: to FILE.db (its activity record beside it, FILE.activity.db), or into a new directory (a data directory itself)")
      .argument("<target>", "a new file ending in .db, or a directory (new or empty)"),
  ).action(async (dir: string, options: StoreOptions) => {
    const config = commandConfigFrom(options);
    if (config.databaseUrl !== undefined) throw new Error("store backup is for SQLite stores; back up PostgreSQL with pg_dump");
    const { backupSqliteStore } = await import("../store/store-backup.js");
    const written = await backupSqliteStore(config.dataDir, dir);
    process.stdout.write(`backed up ${written.join(", ")}\n`);
  });
}
