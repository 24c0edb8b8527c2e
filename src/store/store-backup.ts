import { existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";

/** The files of a SQLite data directory that hold state (the TLS material is regenerated or configured). */
const STATE_FILES = ["switchboard.db", "activity.db"];

/**
 * An online, consistent backup of a SQLite store (SQLite's backup API, per file) into a new directory that is itself
 * a data directory: `--data-dir <target>` opens it as it was. A running server may keep writing meanwhile.
 */
export async function backupSqliteStore(dataDir: string, target: string): Promise<string[]> {
  if (target.endsWith(".db")) return backupSqliteStoreToFile(dataDir, target);
  if (existsSync(target) && readdirSync(target).length > 0) throw new Error(`${target} exists and is not empty`);
  if (!existsSync(path.join(dataDir, STATE_FILES[0]!))) throw new Error(`no SQLite store in ${dataDir}`);
  mkdirSync(target, { recursive: true });
  const written: string[] = [];
  for (const name of STATE_FILES) {
    const source = path.join(dataDir, name);
    if (!existsSync(source)) continue;
    const db = new SQLite(source, { readonly: true, fileMustExist: true });
    try {
      const dest = path.join(target, name);
      await db.backup(dest);
      written.push(dest);
    } finally {
      db.close();
    }
  }
  return written;
}

/** Where the activity record of a file backup goes: beside it, `name.db` → `name.activity.db`. */
export function activityBackupPath(file: string): string {
  return `${file.slice(0, -".db".length)}.activity.db`;
}

/**
 * The file form: the store (`switchboard.db`) is backed up to `file` (a path ending in `.db`), its activity record
 * beside it (activityBackupPath). Restore by placing them as `switchboard.db` and `activity.db` in a data directory.
 */
async function backupSqliteStoreToFile(dataDir: string, file: string): Promise<string[]> {
  const targets = [file, activityBackupPath(file)];
  for (const t of targets) if (existsSync(t)) throw new Error(`${t} exists`);
  if (!existsSync(path.join(dataDir, STATE_FILES[0]!))) throw new Error(`no SQLite store in ${dataDir}`);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const written: string[] = [];
  for (const [i, name] of STATE_FILES.entries()) {
    const source = path.join(dataDir, name);
    if (!existsSync(source)) continue;
    const db = new SQLite(source, { readonly: true, fileMustExist: true });
    try {
      await db.backup(targets[i]!);
      written.push(targets[i]!);
    } finally {
      db.close();
    }
  }
  return written;
}
