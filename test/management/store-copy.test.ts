import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openActivityStorage } from "../../src/activity/activity-storage.js";
import { loadConfig } from "../../src/config/config.js";
import { connectionString } from "../../src/resources/resource.js";
import { openStore } from "../../src/store/store.js";
import { freshPostgresUrl, testDatabaseUrl } from "../support/backends.js";
import { runCli } from "../support/cli.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { armClient, principalWithRole } from "./arm-support.js";

/** Every row of every table of a store (and its activity record), in a stable order: two equal dumps are equal stores. */
async function dump(config: { dataDir?: string; databaseUrl?: string }): Promise<Record<string, unknown[]>> {
  const c = loadConfig({ overrides: { ...config, log: { level: "silent" } } });
  const store = await openStore(c);
  const activity = await openActivityStorage(c, store);
  try {
    const names =
      store.dialect === "sqlite"
        ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'`.execute(store.db)).rows
        : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_name not like 'kysely_%'`.execute(store.db)).rows;
    const out: Record<string, unknown[]> = {};
    for (const { name } of names) {
      // Not copied: the change feed and the replicas' heartbeats (live state of the source's processes).
      if (name === "change_events" || name === "realtime_replicas") continue;
      const db = name === "activity_events" ? activity.db : store.db;
      const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db)).rows;
      out[name] = rows.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])))).sort();
    }
    return out;
  } finally {
    await activity.close();
    await store.close();
  }
}

describe("store copy and store backup (built CLI)", () => {
  let srv: TestServer;
  let moved: TestServer | undefined;
  let owner: Awaited<ReturnType<typeof principalWithRole>>;
  let copiedTo = "";
  const live: { user?: string; token?: string; revokedToken?: string; thread?: string; movedKey?: string } = {};

  beforeAll(async () => {
    srv = await startTestServer();
    owner = await principalWithRole(srv, "copy-owner", "Owner");
    const arm = armClient(srv, owner);
    await arm.communicationServices.beginCreateOrUpdateAndWait("rg-move", "moved", { location: "global", dataLocation: "Europe" });
    live.movedKey = (await arm.communicationServices.listKeys("rg-move", "moved")).primaryKey!;
    const identity = new CommunicationIdentityClient(srv.connectionString("https"));
    const a = await identity.createUserAndToken(["chat"]);
    const b = await identity.createUserAndToken(["chat"]);
    await identity.revokeTokens(b.user);
    const chat = new ChatClient(srv.httpsUrl, new AzureCommunicationTokenCredential(a.token));
    live.thread = (await chat.createChatThread({ topic: "before the move" })).chatThread!.id;
    Object.assign(live, { user: a.user.communicationUserId, token: a.token, revokedToken: b.token });
    await srv.server.core.activity.flush();
  });
  afterAll(async () => {
    await moved?.close();
    await srv?.close();
  });

  const target = testDatabaseUrl !== undefined ? "PostgreSQL" : "a new SQLite data directory";
  it(`copies SQLite to ${target} while tokens are live: keys, identities, tokens, threads and resources work on the copy`, { timeout: 120_000 }, async () => {
    const to = testDatabaseUrl !== undefined ? await freshPostgresUrl() : mkdtempSync(path.join(tmpdir(), "switchboard-copy-"));
    copiedTo = to;
    const copied = await runCli(["store", "copy", "--to", to, "--data-dir", srv.dataDir]);
    expect(copied.stderr).toBe("");
    expect(copied.stdout).toMatch(/^copied \d+ rows in \d+ tables and \d+ activity events\n$/);
    expect(await dump(testDatabaseUrl !== undefined ? { databaseUrl: to } : { dataDir: to })).toEqual(await dump({ dataDir: srv.dataDir }));

    moved = await startTestServer(testDatabaseUrl !== undefined ? { backend: "postgres", config: { databaseUrl: to } } : { dataDir: to });
    expect(moved.resource.id).toBe(srv.resource.id);
    const identity = new CommunicationIdentityClient(connectionString(moved.httpsUrl, srv.resource.keys.primary.value));
    expect((await identity.getToken({ communicationUserId: live.user! }, ["chat"])).token.split(".")).toHaveLength(3);
    const chat = new ChatClient(moved.httpsUrl, new AzureCommunicationTokenCredential(live.token!));
    expect((await chat.getChatThreadClient(live.thread!).getProperties()).topic).toBe("before the move");
    await expect(new ChatClient(moved.httpsUrl, new AzureCommunicationTokenCredential(live.revokedToken!)).listChatThreads().next()).rejects.toMatchObject({ statusCode: 401 });
    // The management plane moved too: the same principal and secret, the same subscription, resource and keys.
    expect(moved.server.core.management.subscriptionId).toBe(srv.server.core.management.subscriptionId);
    const keys = await armClient(moved, owner).communicationServices.listKeys("rg-move", "moved");
    expect(keys.primaryKey).toBe(live.movedKey);
    await new CommunicationIdentityClient(keys.primaryConnectionString!).createUser();
  });

  // PostgreSQL back to SQLite: registered where the PostgreSQL backend runs (as describe.each(backendNames) does).
  if (testDatabaseUrl !== undefined) {
    it("copies back from PostgreSQL to a new SQLite data directory: an identical store", { timeout: 120_000 }, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "switchboard-copy-back-"));
      // The server of the previous test still runs on that database: its queued activity events land first, so the
      // copy and the dump below see the same store.
      await moved?.server.core.activity.flush();
      const back = await runCli(["store", "copy", "--to", dir, "--database-url", copiedTo]);
      expect(back.stderr).toBe("");
      expect(await dump({ dataDir: dir })).toEqual(await dump({ databaseUrl: copiedTo }));
      const refused = await runCli(["store", "copy", "--to", dir, "--database-url", copiedTo]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("not empty");
    });
  }

  it("backs up a running SQLite store online; the backup is an identical store", { timeout: 120_000 }, async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), "switchboard-backup-")), "backup");
    const backed = await runCli(["store", "backup", dir, "--data-dir", srv.dataDir]);
    expect(backed.stdout).toContain("switchboard.db");
    expect(await dump({ dataDir: dir })).toEqual(await dump({ dataDir: srv.dataDir }));
    const again = await runCli(["store", "backup", dir, "--data-dir", srv.dataDir]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("not empty");
  });

  it("backs up a running SQLite store to FILE.db (activity record beside it); restored, it is an identical store", { timeout: 120_000 }, async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), "switchboard-backup-file-"));
    const file = path.join(tmp, "nightly.db");
    const backed = await runCli(["store", "backup", file, "--data-dir", srv.dataDir]);
    expect(backed.stderr).toBe("");
    expect(backed.stdout).toBe(`backed up ${file}, ${path.join(tmp, "nightly.activity.db")}\n`);
    const restored = path.join(tmp, "restored");
    mkdirSync(restored);
    copyFileSync(file, path.join(restored, "switchboard.db"));
    copyFileSync(path.join(tmp, "nightly.activity.db"), path.join(restored, "activity.db"));
    expect(await dump({ dataDir: restored })).toEqual(await dump({ dataDir: srv.dataDir }));
    const again = await runCli(["store", "backup", file, "--data-dir", srv.dataDir]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("exists");
    expect(existsSync(path.join(tmp, "nightly.activity.db"))).toBe(true);
  });
});
