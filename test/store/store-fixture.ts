import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig, type Config } from "../../src/config/config.js";
import { openStore, type Store } from "../../src/store/store.js";
import { freshPostgresUrl, migratedPostgresUrl, type BackendName } from "../support/backends.js";

/**
 * One database per test, on a given backend: a SQLite file in a temp dir or a PostgreSQL database cloned from the run's
 * migrated template (`empty`: a fresh, unmigrated schema, for tests of migrating one). Several stores opened on it
 * behave like several processes (separate connections; SQLite through the shared file).
 */
export interface TestDatabase {
  backend: BackendName;
  config: Config;
  open(options?: { now?: () => number }): Promise<Store>;
  closeAll(): Promise<void>;
}

export async function createTestDatabase(
  backend: BackendName,
  overrides: Record<string, unknown> = {},
  options: { empty?: boolean } = {},
): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "switchboard-store-"));
  const databaseUrl = backend === "postgres" ? await (options.empty === true ? freshPostgresUrl() : migratedPostgresUrl()) : undefined;
  const config = loadConfig({
    overrides: { dataDir, ...(databaseUrl !== undefined ? { databaseUrl } : {}), log: { level: "silent" }, ...overrides },
  });
  const opened: Store[] = [];
  return {
    backend,
    config,
    async open(options = {}) {
      const store = await openStore(config, options);
      opened.push(store);
      return store;
    },
    async closeAll() {
      await Promise.all(opened.splice(0).map((s) => s.close().catch(() => undefined)));
    },
  };
}

/** Polls `condition` until it holds or `ms` elapse; returns whether it held. */
export async function eventually(condition: () => boolean | Promise<boolean>, ms = 3_000, stepMs = 10): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** A `chat_threads` row for repository tests: a live thread with no messages and default settings. */
export function chatThreadRow(id: string, resourceId: string, options: { topic?: string; createdAt?: number } = {}) {
  return {
    id,
    resource_id: resourceId,
    topic: options.topic ?? id,
    created_by: "8:acs:a",
    created_at: options.createdAt ?? 100,
    deleted_at: null,
    metadata: null,
    retention_policy: null,
    last_sequence_id: 0,
    last_message_id: 0,
    last_message_at: null,
    repeatability_id: null,
  };
}

/** A `phone_numbers` row for repository tests: a US toll-free number owned by `resourceId`. */
export function ownedNumberRow(phoneNumber: string, resourceId: string, purchasedAt: number) {
  return {
    phone_number: phoneNumber,
    resource_id: resourceId,
    country_code: "US",
    phone_number_type: "tollFree",
    assignment_type: "application",
    calling: "none",
    sms: "inbound+outbound",
    cost_amount: 2,
    cost_currency: "USD",
    purchased_at: purchasedAt,
  };
}
