import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames, freshPostgresUrl } from "../support/backends.js";
import { CLI } from "../support/cli.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { run } from "./newcomer-support.js";

describe.each(backendNames)("identity list and the activity table (%s)", (backend) => {
  let srv: TestServer;
  let store: string[];
  const cli = async (...args: string[]) => {
    const res = await run(process.execPath, [CLI, ...args, ...store]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    return res.stdout;
  };
  beforeAll(async () => {
    const databaseUrl = backend === "postgres" ? await freshPostgresUrl() : undefined;
    srv = await startTestServer({ backend, config: { activity: { flushIntervalMs: 20 }, ...(databaseUrl !== undefined ? { databaseUrl } : {}) } });
    store = databaseUrl !== undefined ? ["--database-url", databaseUrl] : ["--data-dir", srv.dataDir];
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("identity list pages through the resource's live identities in creation order", async () => {
    const client = new CommunicationIdentityClient(srv.connectionString());
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await client.createUser()).communicationUserId);
    await client.deleteUser({ communicationUserId: created[2]! });
    const live = created.filter((_, i) => i !== 2);

    const first = JSON.parse(await cli("identity", "list", "--json", "--limit", "3")) as { value: Array<{ id: string }>; next?: string };
    expect(first.value.map((v) => v.id)).toEqual(live.slice(0, 3));
    expect(first.next).toBe(live[2]);
    const second = JSON.parse(await cli("identity", "list", "--json", "--limit", "3", "--after", first.next!)) as { value: Array<{ id: string }>; next?: string };
    expect(second.value.map((v) => v.id)).toEqual(live.slice(3));
    expect(second.next).toBeUndefined();
    const text = await cli("identity", "list", "--limit", "2");
    expect(text.trim().split("\n")).toEqual([
      expect.stringMatching(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  ${live[0]}$`)),
      expect.stringMatching(new RegExp(`  ${live[1]}$`)),
      `more: switchboard identity list --after ${live[1]}`,
    ]);
  });

  it("activity without --identity lists recent events of all identities, once each, as an aligned table with short ids", async () => {
    const client = new CommunicationIdentityClient(srv.connectionString());
    const a = (await client.createUserAndToken(["chat"])).user.communicationUserId;
    const b = (await client.createUser()).communicationUserId;
    await client.revokeTokens({ communicationUserId: b });
    await srv.server.core.activity.flush();

    const all = JSON.parse(await cli("activity", "--json", "--limit", "3")) as Array<{ id: string; operation: string; subjects: string[] }>;
    expect(all.map((e) => [e.operation, e.subjects])).toEqual([
      ["identity.revokeAccessTokens", [b]],
      ["identity.create", [b]],
      ["identity.create", [a]],
    ]);
    expect(new Set(all.map((e) => e.id)).size).toBe(3);

    const table = (await cli("activity", "--limit", "3")).trimEnd().split("\n");
    expect(table).toHaveLength(4);
    expect(table[0]).toMatch(/^TIME +OPERATION +OUTCOME +BY +SUBJECTS$/);
    const columns = (line: string) => [...line.matchAll(/\S+/g)].map((m) => m.index);
    for (const line of table.slice(1)) expect(columns(line)).toEqual(columns(table[0]!));
    expect(table[1]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ +identity\\.revokeAccessTokens +204 +key:primary +8:acs:…${b.slice(-8)}$`));
    for (const line of table) expect(line.length).toBeLessThan(120);
  });
});
