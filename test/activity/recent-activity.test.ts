import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bucketOf } from "../../src/activity/activity-bucket.js";
import { ActivityRows, type ActivityRow } from "../../src/activity/activity-rows.js";
import { openCore, type Core } from "../../src/app.js";
import { loadConfig } from "../../src/config/config.js";
import { backendConfig, backendNames } from "../support/backends.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 10);

function row(identity: string, eventId: string, time: number, operation: string, extra: Partial<ActivityRow> = {}): ActivityRow {
  return { identity, bucket: bucketOf(identity), event_id: eventId, time, resource_id: "r1", operation, status: 200, error_code: null, principal: "key:primary", subjects: "[]", fields: null, ...extra };
}

describe.each(backendNames)("the activity record's recent rows and tokens issued since a time (%s)", (backend) => {
  let core: Core;

  beforeAll(async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "switchboard-recent-"));
    core = await openCore(loadConfig({ overrides: { dataDir, ...(await backendConfig(backend)), log: { level: "silent" } } }));
    const token = JSON.stringify({ scopes: ["chat"], expiresOn: "2026-01-12T00:00:00.000Z" });
    const rows: ActivityRow[] = [];
    // Three days, 40 events a day; every fourth issues a token; the token events of day 3 are filed under two keys.
    for (let day = 0; day < 3; day++) {
      for (let i = 0; i < 40; i++) {
        const t = T0 + day * DAY + i * 60_000;
        const id = `e${day}-${i}`;
        const fields = i % 4 === 0 ? token : null;
        rows.push(row("8:acs:r1_a", id, t, i % 4 === 0 ? "identity.issueAccessToken" : "chat.sendMessage", { fields }));
        if (day === 2 && i % 4 === 0) rows.push(row("operator:console:alice", id, t, "identity.issueAccessToken", { fields }));
      }
    }
    // A failed token request does not count.
    rows.push(row("8:acs:r1_b", "failed", T0 + 2 * DAY + 50 * 60_000, "identity.issueAccessToken", { status: 404, error_code: "IdentityNotFound", fields: token }));
    await core.activityRepository.append(ActivityRows.of(rows));
  });
  afterAll(async () => core?.close());

  it("counts each token event once, from the first row of the day found by a binary search", async () => {
    const repo = core.activityRepository;
    expect(await repo.tokensIssuedSince(T0 + 2 * DAY, "r1")).toBe(10);
    expect(await repo.tokensIssuedSince(T0 + DAY, "r1")).toBe(20);
    expect(await repo.tokensIssuedSince(0, "r1")).toBe(30);
    expect(await repo.tokensIssuedSince(T0 + DAY + 20 * 60_000, "r1")).toBe(15);
    expect(await repo.tokensIssuedSince(T0 + 3 * DAY)).toBe(0);
    const first = await repo.firstSeqAt(T0 + DAY);
    const [atFirst] = await repo.recent({ afterSeq: first! - 1, limit: 1_000 }).then((r) => r.slice(-1));
    expect(atFirst!.event.time).toBe(new Date(T0 + DAY).toISOString());
  });

  it("lists the newest events once each, filtered, after a cursor", async () => {
    const repo = core.activityRepository;
    const newest = await repo.recent({ limit: 3 });
    expect(newest.map((r) => r.event.id)).toEqual(["failed", "e2-39", "e2-38"]);
    expect((await repo.recent({ outcome: "failed", limit: 10 })).map((r) => r.event.id)).toEqual(["failed"]);
    const tokensToday = await repo.recent({ operation: "identity.*", from: T0 + 2 * DAY, outcome: "succeeded", limit: 100 });
    expect(tokensToday).toHaveLength(10);
    const alice = await repo.recent({ identity: "operator:console:alice", limit: 100 });
    expect(alice.map((r) => r.event.id)).toEqual(tokensToday.map((r) => r.event.id));
    const after = await repo.recent({ afterSeq: newest[1]!.seq, limit: 100 });
    expect(after.map((r) => r.event.id)).toEqual(["failed"]);
    expect(await repo.recent({ identity: "8:acs:r1_a", afterSeq: await repo.lastSeq(), limit: 10 })).toEqual([]);
  });
});
