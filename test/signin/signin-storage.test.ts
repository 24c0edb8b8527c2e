import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorizationCodes, CODE_LIFETIME_MS, pkceChallenge } from "../../src/idp/signin/authorization-codes.js";
import { DeviceCodes, DEVICE_CODE_LIFETIME_MS } from "../../src/idp/signin/device-codes.js";
import { REFRESH_TOKEN_LIFETIME_MS, RefreshTokens } from "../../src/idp/signin/refresh-tokens.js";
import { SigninKeys } from "../../src/idp/signin/signin-keys.js";
import { SigninSessions } from "../../src/idp/signin/signin-sessions.js";
import type { Store } from "../../src/store/store.js";
import { createFixedClock } from "../../src/util/clock.js";
import { backendNames } from "../support/backends.js";
import { scanLogs } from "../support/secret-scan.js";
import { createTestDatabase, type TestDatabase } from "../store/store-fixture.js";

const VERIFIER = "v".repeat(43);

describe.each(backendNames)("sign-in storage with a frozen clock (%s)", (backend) => {
  let db: TestDatabase;
  let store: Store;
  const clock = createFixedClock(Date.UTC(2026, 0, 1));

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    store = await db.open({ now: () => clock.now() });
  });
  afterAll(async () => {
    await db?.closeAll();
  });

  it("a code works once, for its client, redirect URI and verifier, and not after ten minutes", async () => {
    const codes = new AuthorizationCodes(store, clock);
    const grant = { clientId: "c1", redirectUri: "http://127.0.0.1/cb", userObjectId: "u1", scope: "openid", nonce: "n", codeChallenge: pkceChallenge(VERIFIER) };
    const code = await codes.issue(grant);
    expect(await codes.redeem(code, "c2", grant.redirectUri, VERIFIER)).toEqual({ ok: false, reason: "client" });
    const second = await codes.issue(grant);
    expect(await codes.redeem(second, "c1", grant.redirectUri, undefined)).toEqual({ ok: false, reason: "verifier-missing" });
    const third = await codes.issue(grant);
    expect(await codes.redeem(third, "c1", grant.redirectUri, VERIFIER)).toMatchObject({ ok: true, grant: { userObjectId: "u1", nonce: "n" } });
    expect(await codes.redeem(third, "c1", grant.redirectUri, VERIFIER)).toEqual({ ok: false, reason: "used" });
    const late = await codes.issue(grant);
    clock.advance(CODE_LIFETIME_MS);
    expect(await codes.redeem(late, "c1", grant.redirectUri, VERIFIER)).toEqual({ ok: false, reason: "expired" });
    expect(await codes.redeem("sbc1.unknown", "c1", grant.redirectUri, VERIFIER)).toEqual({ ok: false, reason: "unknown" });
  });

  it("refresh tokens rotate; reuse revokes the family; they expire after 24 hours", async () => {
    const tokens = new RefreshTokens(store, clock);
    const first = await tokens.issue({ clientId: "c1", userObjectId: "u1", scope: "openid offline_access" });
    const rotated = await tokens.rotate(first, "c1");
    expect(rotated.ok).toBe(true);
    const next = (rotated as { refreshToken: string }).refreshToken;
    expect(await tokens.rotate(first, "c1")).toEqual({ ok: false, reason: "reused" });
    expect(await tokens.rotate(next, "c1")).toEqual({ ok: false, reason: "revoked" });
    const other = await tokens.issue({ clientId: "c1", userObjectId: "u1", scope: "openid" });
    expect(await tokens.rotate(other, "c2")).toEqual({ ok: false, reason: "client" });
    clock.advance(REFRESH_TOKEN_LIFETIME_MS);
    expect(await tokens.rotate(other, "c1")).toEqual({ ok: false, reason: "expired" });
  });

  it("device codes: pending until approved, handed out once, expired after 15 minutes", async () => {
    const devices = new DeviceCodes(store, clock);
    const started = await devices.start("c1", "openid");
    expect(await devices.poll(started.deviceCode, "c1")).toEqual({ state: "pending" });
    expect(await devices.pending(`${started.userCode.slice(0, 4).toLowerCase()}-${started.userCode.slice(4)}`)).toMatchObject({ clientId: "c1" });
    expect(await devices.approve(started.userCode, "u1")).toBe(true);
    expect(await devices.poll(started.deviceCode, "c1")).toMatchObject({ state: "approved", userObjectId: "u1" });
    expect(await devices.poll(started.deviceCode, "c1")).toEqual({ state: "used" });
    const late = await devices.start("c1", "openid");
    clock.advance(DEVICE_CODE_LIFETIME_MS);
    expect(await devices.pending(late.userCode)).toBeUndefined();
    expect(await devices.approve(late.userCode, "u1")).toBe(false);
    expect(await devices.poll(late.deviceCode, "c1")).toEqual({ state: "expired" });
  });

  it("session cookies are signed: a tampered one, an ended one and another database's are refused", async () => {
    const keys = new SigninKeys(store, clock);
    await keys.ensure();
    const sessions = new SigninSessions(store, keys, clock);
    const cookie = await sessions.start("u1");
    expect(await sessions.userOf(cookie)).toBe("u1");
    const [id, mac] = [cookie.slice(0, cookie.lastIndexOf(".")), cookie.slice(cookie.lastIndexOf(".") + 1)];
    const flip = (s: string) => `${s.slice(0, -1)}${s.endsWith("A") ? "B" : "A"}`;
    const flipHex = (s: string) => `${s.slice(0, -1)}${s.endsWith("0") ? "1" : "0"}`;
    expect(await sessions.userOf(`${id}.${flip(mac)}`)).toBeUndefined();
    expect(await sessions.userOf(`${flipHex(id)}.${mac}`)).toBeUndefined();
    const otherDb = await createTestDatabase(backend);
    const otherStore = await otherDb.open();
    const otherKeys = new SigninKeys(otherStore, clock);
    await otherKeys.ensure();
    expect(await new SigninSessions(otherStore, otherKeys, clock).userOf(cookie)).toBeUndefined();
    await otherDb.closeAll();
    await sessions.end(cookie);
    expect(await sessions.userOf(cookie)).toBeUndefined();
  });
});

describe("the log scanner knows the sign-in secrets", () => {
  it("finds codes, refresh tokens, session ids, device codes and identity headers", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "switchboard-scan-"));
    const hex = "0123456789abcdef".repeat(4);
    const cases: Array<[string, string]> = [
      ["an authorization code", `sbc1.${hex}`],
      ["a refresh token", `sbr1.${hex}`],
      ["a session id", `sbs1.${hex}`],
      ["a device code", `sbd1.${hex}`],
      ["an identity header", `sbmi${hex}`],
      ["a sign-in secret field", `{"refresh_token":"x"}`],
    ];
    for (const [what, text] of cases) {
      const file = path.join(dir, `${what.replace(/\W/g, "-")}.log`);
      writeFileSync(file, `{"level":30,"msg":"request","x":"${text.replace(/"/g, '\\"')}"}\n${text}\n`);
      expect(scanLogs([file], []).map((f) => f.what)).toContain(what);
    }
    const clean = path.join(dir, "clean.log");
    writeFileSync(clean, `{"level":30,"op":"idp.authorize","code":"AuthorizationFailed"}\n`);
    expect(scanLogs([clean], [])).toEqual([]);
  });
});
