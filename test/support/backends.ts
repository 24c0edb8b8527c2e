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

/** The database global-setup.ts migrated once for this run; `migratedPostgresUrl` clones it. */
export function templateDatabaseName(prefix: string): string {
  return `${prefix}template`;
}

/**
 * A PostgreSQL URL naming a new database cloned from the run's migrated template (global-setup.ts): the state a
 * server has after its first start's migrations, without running them again. Cloning a database file is a few
 * hundred milliseconds; migrating an empty schema is seconds of DDL on the shared server. Tests of migrating an
 * empty database use `freshPostgresUrl` instead.
 */
export async function migratedPostgresUrl(): Promise<string> {
  if (testDatabaseUrl === undefined) throw new Error("SWITCHBOARD_TEST_DATABASE_URL is not set");
  const prefix = process.env.SWITCHBOARD_TEST_SCHEMA_PREFIX;
  if (prefix === undefined) return freshPostgresUrl(); // a test run without global-setup.ts: migrate as a first start does
  const name = `${prefix}${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    // Several clones of one template at once are fine; the template itself accepts no connections (global-setup.ts).
    await client.query(`create database "${name}" template "${templateDatabaseName(prefix)}"`);
  } finally {
    await client.end();
  }
  return databaseUrl(name);
}

/** The test database URL with its database name replaced. */
export function databaseUrl(name: string): string {
  if (testDatabaseUrl === undefined) throw new Error("SWITCHBOARD_TEST_DATABASE_URL is not set");
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Config overrides that select a backend for a test server or store (PostgreSQL: an already migrated database). */
export async function backendConfig(name: BackendName): Promise<{ databaseUrl?: string; inMemory?: boolean }> {
  return name === "postgres" ? { databaseUrl: await migratedPostgresUrl() } : {};
}

/**
 * Drops every schema and database whose name starts with `prefix` (one statement each: a single transaction would
 * need a lock per table). Schemas pile up otherwise, and a catalog of 100,000 relations makes every migration's
 * introspection slow.
 */
export async function dropTestSchemas(prefix: string): Promise<number> {
  if (testDatabaseUrl === undefined || !/^sb_[0-9a-z_]*$/.test(prefix)) return 0;
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>("select nspname from pg_namespace where starts_with(nspname, $1)", [prefix]);
    for (const { nspname } of rows) await client.query(`drop schema if exists "${nspname}" cascade`);
    const dbs = await client.query<{ datname: string }>("select datname from pg_database where starts_with(datname, $1)", [prefix]);
    // The template stops being one, or it cannot be dropped.
    await client.query(`alter database "${templateDatabaseName(prefix)}" is_template false`).catch(() => undefined);
    // Each DROP DATABASE waits for a checkpoint; drops running side by side share one instead of taking turns.
    const queue = dbs.rows.map((r) => r.datname);
    const dropper = async (): Promise<void> => {
      const own = new pg.Client({ connectionString: testDatabaseUrl });
      await own.connect();
      try {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) await own.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await own.end();
      }
    };
    await Promise.all(Array.from({ length: Math.min(16, queue.length) }, dropper));
    return rows.length + dbs.rows.length;
  } finally {
    await client.end();
  }
}

/**
 * Creates this run's template database and migrates it to the latest schema (global-setup.ts, before any worker):
 * every `migratedPostgresUrl` is a copy of it. It then refuses connections, since PostgreSQL clones a template only
 * while nobody is connected to it.
 */
export async function createTemplateDatabase(prefix: string, migrate: (url: string) => Promise<void>): Promise<void> {
  if (testDatabaseUrl === undefined) return;
  const name = templateDatabaseName(prefix);
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(`create database "${name}"`);
    await migrate(databaseUrl(name));
    await client.query(`alter database "${name}" with is_template true allow_connections false`);
  } finally {
    await client.end();
  }
}
