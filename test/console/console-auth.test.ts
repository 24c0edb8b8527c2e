import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsoleAuth, LINK_LIFETIME_MS } from "../../src/console/console-auth.js";
import { CONSOLE_CSS, CONSOLE_JS } from "../../src/console/console-assets.js";
import { openCore, type Core } from "../../src/app.js";
import { loadConfig } from "../../src/config/config.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { backendConfig, backendNames } from "../support/backends.js";

class ManualClock {
  constructor(public t = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
}

describe.each(backendNames)("console sign-in links and sessions (%s)", (backend) => {
  let core: Core;
  const clock = new ManualClock();

  beforeAll(async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "switchboard-console-"));
    core = await openCore(loadConfig({ overrides: { dataDir, ...(await backendConfig(backend)), log: { level: "silent" } } }), { clock: clock as never });
  });
  afterAll(async () => core?.close());

  it("a link works once; the database holds only its hash; concurrent redemptions start one session", async () => {
    const auth = new ConsoleAuth(core.store, clock as never);
    const { token } = await auth.createLink("alice");
    const stored = await core.store.db.selectFrom("console_links").selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(token.slice(6));
    const results = await Promise.all([auth.redeem(token), auth.redeem(token), auth.redeem(token)]);
    const started = results.filter((r) => r !== undefined);
    expect(started).toHaveLength(1);
    const session = await auth.session(started[0]!.cookie);
    expect(session).toMatchObject({ operator: "alice", csrf: started[0]!.session.csrf });
    expect(JSON.stringify(await core.store.db.selectFrom("console_sessions").selectAll().execute())).not.toContain(started[0]!.cookie.slice(6));
    expect(await auth.redeem(token)).toBeUndefined();
    await auth.end(started[0]!.cookie);
    expect(await auth.session(started[0]!.cookie)).toBeUndefined();
  });

  it("an expired link is refused; a forged or unknown one too", async () => {
    const auth = new ConsoleAuth(core.store, clock as never);
    const { token } = await auth.createLink("alice");
    clock.t += LINK_LIFETIME_MS;
    expect(await auth.redeem(token)).toBeUndefined();
    expect(await auth.redeem(`${token.slice(0, -1)}0`)).toBeUndefined();
    expect(await auth.redeem("not-a-token")).toBeUndefined();
    expect(await auth.session("sbcs1.forged")).toBeUndefined();
  });

  it("checks the CSRF token in constant time against the session's", async () => {
    const auth = new ConsoleAuth(core.store, clock as never);
    const started = (await auth.redeem((await auth.createLink("bob")).token))!;
    expect(ConsoleAuth.checkCsrf(started.session, started.session.csrf)).toBe(true);
    expect(ConsoleAuth.checkCsrf(started.session, undefined)).toBe(false);
    expect(ConsoleAuth.checkCsrf(started.session, `${started.session.csrf.slice(0, -1)}A`)).toBe(started.session.csrf.endsWith("A"));
  });
});

describe("console assets", () => {
  it("stay under the size budget: script and stylesheet under 8 KiB each", () => {
    expect(Buffer.byteLength(CONSOLE_JS)).toBeLessThan(8 * 1024);
    expect(Buffer.byteLength(CONSOLE_CSS)).toBeLessThan(8 * 1024);
  });
});
