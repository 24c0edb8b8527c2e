import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadOrCreateTlsMaterial } from "../src/http/tls.js";
import { randomBytes } from "node:crypto";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { migrateToLatest } from "../src/store/store.js";
import type { Database } from "../src/store/schema.js";
import { createTemplateDatabase, dropTestSchemas } from "./support/backends.js";
import { collectRun, scanLogs } from "./support/secret-scan.js";

/**
 * Runs once before the test workers start: generates the shared TLS certificate with the server's own generator
 * and exports NODE_EXTRA_CA_CERTS, so the official SDK clients in every worker trust the test servers' HTTPS
 * listeners exactly as a user's process would.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const root = mkdtempSync(path.join(tmpdir(), "switchboard-test-"));
  const tls = await loadOrCreateTlsMaterial({ dataDir: root });
  process.env.NODE_EXTRA_CA_CERTS = tls.certPath;
  process.env.SWITCHBOARD_TEST_TLS_CERT = tls.certPath;
  process.env.SWITCHBOARD_TEST_TLS_KEY = tls.keyPath;
  const logDir = path.join(root, "logs");
  mkdirSync(logDir, { recursive: true });
  process.env.SWITCHBOARD_TEST_LOG_DIR = logDir;
  // Every PostgreSQL schema of this run starts with this prefix, so the teardown can drop them all.
  const schemaPrefix = `sb_${randomBytes(3).toString("hex")}_`;
  process.env.SWITCHBOARD_TEST_SCHEMA_PREFIX = schemaPrefix;
  // PostgreSQL test servers start on copies of one database migrated here (support/backends.ts migratedPostgresUrl).
  await createTemplateDatabase(schemaPrefix, migrateDatabase);

  // Teardown: the run's schemas go; the logs of the whole run must hold no key, token, signature or string-to-sign.
  return async () => {
    const dropped = await dropTestSchemas(schemaPrefix);
    if (dropped > 0) process.stdout.write(`dropped ${dropped} PostgreSQL test schemas\n`);
    const { logs, secrets } = collectRun(logDir);
    const findings = scanLogs(logs, secrets);
    if (findings.length > 0) {
      process.exitCode = 1;
      throw new Error(`secrets found in test-run logs:\n${findings.map((f) => `  ${f.what} in ${f.file}`).join("\n")}`);
    }
    process.stdout.write(`log scan: ${logs.length} server logs, ${secrets.length} access keys, no secrets found\n`);
  };
}

/** Runs the server's own migrations on the database at `url`, as a first start does. */
async function migrateDatabase(url: string): Promise<void> {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  try {
    await migrateToLatest(db, "postgres");
  } finally {
    await db.destroy();
  }
}
