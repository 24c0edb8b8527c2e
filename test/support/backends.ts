import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * The storage backends every storage-touching test runs against. SQLite always; PostgreSQL when
 * SWITCHBOARD_TEST_DATABASE_URL is set (.ci/run sets it). In CI a missing database is a failure, not a skip.
 */
export type BackendName = "sqlite" | "postgres";

export const testDatabaseUrl = process.env.SWITCHBOARD_TEST_DATABASE_URL;

if (process.env.CI !== undefined && process.env.CI !== "" && testDatabaseUrl === undefined) {
  throw new Error("CI must run the PostgreSQL tests: SWITCHBOARD_TEST_DATABASE_URL is not set");
}

export const backendNames: BackendName[] = testDatabaseUrl === undefined ? ["sqlite"] : ["sqlite", "postgres"];

/**
 * A PostgreSQL URL whose search_path is a new, empty schema: each test server gets an isolated database state on
 * the shared server without creating databases.
 */
export async function freshPostgresUrl(): Promise<string> {
  if (testDatabaseUrl === undefined) throw new Error("SWITCHBOARD_TEST_DATABASE_URL is not set");
  // The run's prefix (global-setup.ts) lets the run drop its schemas at the end.
  const schema = `${process.env.SWITCHBOARD_TEST_SCHEMA_PREFIX ?? "sb_"}${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(`create schema ${schema}`);
  } finally {
    await client.end();
  }
  // Percent-encoded by hand: URLSearchParams would write the space as "+", which libpq-style parsers keep literally.
  const separator = testDatabaseUrl.includes("?") ? "&" : "?";
  return `${testDatabaseUrl}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** Config overrides that select a backend for a test server or store. */
export async function backendConfig(name: BackendName): Promise<{ databaseUrl?: string; inMemory?: boolean }> {
  return name === "postgres" ? { databaseUrl: await freshPostgresUrl() } : {};
}

/**
 * Drops every schema whose name starts with `prefix` (one statement each: a single transaction would need a lock per
 * table). Schemas pile up otherwise, and a catalog of 100,000 relations makes every migration's introspection slow.
 */
export async function dropTestSchemas(prefix: string): Promise<number> {
  if (testDatabaseUrl === undefined || !/^sb_[0-9a-z_]*$/.test(prefix)) return 0;
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>("select nspname from pg_namespace where starts_with(nspname, $1)", [prefix]);
    for (const { nspname } of rows) await client.query(`drop schema if exists "${nspname}" cascade`);
    return rows.length;
  } finally {
    await client.end();
  }
}
