import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/util/clock.js";
import { backendNames } from "../support/backends.js";
import type { TestServer } from "../support/test-server.js";
import { ACS_SCOPE, createSp, runCli, type CreatedSp } from "../entra/entra-support.js";
import { rawRequest, startServer, type RawResponse } from "./support.js";

/**
 * Issue 17 + 13: the sign-in page (idp.authorize.signin) and the device-login page (idp.devicelogin.submit) check
 * passwords under the token endpoint's guess throttle (per user name and per source, shared with the password
 * grant), answer a lockout with 429 and AADSTS50053 on the page, and cost a hash for unknown users too. The password
 * grant refuses a managed identity's client id.
 */

const PASSWORD = "correct horse battery";
const REDIRECT = "https://app.contoso.test/callback";

function offsetClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, setTimeout: systemClock.setTimeout, advance: (ms: number) => (offset += ms) };
}


function hiddenInputs(html: string): Record<string, string> {
  const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) out[unescape(m[1]!)] = unescape(m[2]!);
  return out;
}

const cookieOf = (res: RawResponse): string => (res.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");
const alertOf = (res: RawResponse): string => /<p role="alert"[^>]*>([^<]*)<\/p>/.exec(res.text)?.[1] ?? "";

describe.each(backendNames)("password guessing on the sign-in pages (%s)", (backend) => {
  let srv: TestServer;
  let app: CreatedSp;
  let authority: string;
  const clock = offsetClock();
  const form = (url: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
    rawRequest(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(body).toString() });

  /** Opens the sign-in page (a fresh CSRF pair) and posts the form from `source`. */
  async function signIn(username: string, password: string, source: string): Promise<RawResponse> {
    const query = new URLSearchParams({ client_id: app.clientId, redirect_uri: REDIRECT, response_type: "code", scope: `openid ${ACS_SCOPE}`, code_challenge: "a".repeat(43), code_challenge_method: "S256" });
    const pageRes = await rawRequest(`${authority}/oauth2/v2.0/authorize?${query}`);
    expect(pageRes.status).toBe(200);
    return form(`${authority}/oauth2/v2.0/authorize`, { ...hiddenInputs(pageRes.text), username, password }, { cookie: cookieOf(pageRes), "x-forwarded-for": source });
  }

  /** A device code, then the devicelogin page's code and sign-in forms, from `source`. */
  async function deviceSignIn(username: string, password: string, source: string): Promise<RawResponse> {
    const started = await form(`${authority}/oauth2/v2.0/devicecode`, { client_id: app.clientId, scope: ACS_SCOPE });
    expect(started.status).toBe(200);
    const pageRes = await rawRequest(`${authority}/devicelogin`);
    const csrf = hiddenInputs(pageRes.text).csrf!;
    return form(
      `${authority}/devicelogin`,
      { csrf, user_code: started.body.user_code as string, username, password },
      { cookie: cookieOf(pageRes), "x-forwarded-for": source },
    );
  }

  beforeAll(async () => {
    // Requests come through "a proxy" on loopback, so each names its own source; small limits keep the test short.
    srv = await startServer(backend, {
      clock,
      config: { trustedProxies: ["127.0.0.1"], guessing: { freeFailuresPerClient: 3, freeFailuresPerSource: 5 } },
    });
    app = await createSp(srv, "Contoso Web", ["--public", "--redirect-uri", REDIRECT]);
    authority = `${srv.httpsUrl}/${app.tenantId}`;
    for (const name of ["alice@contoso.test", "bob@contoso.test", "carol@contoso.test"]) {
      await runCli(srv, ["user", "create", "--name", name, "--password", PASSWORD]);
    }
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("the sign-in page locks a user name out with 429, Retry-After and AADSTS50053, shared with the password grant", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await signIn("alice@contoso.test", `wrong-${i}`, `198.51.100.${i}`);
      expect(res.status).toBe(200);
      expect(alertOf(res)).toBe("Your username or password is incorrect.");
    }
    // Past the free failures, even the right password from another source waits; the page says so.
    const locked = await signIn("alice@contoso.test", PASSWORD, "198.51.100.50");
    expect(locked.status).toBe(429);
    expect(Number(locked.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(alertOf(locked)).toMatch(/^AADSTS50053: The account is locked/);
    expect(locked.text).toContain('name="username"'); // still the sign-in form, not an error document
    // The same count locks the token endpoint's password grant for that user name.
    const grant = await form(`${authority}/oauth2/v2.0/token`, { grant_type: "password", client_id: app.clientId, username: "alice@contoso.test", password: PASSWORD, scope: ACS_SCOPE }, { "x-forwarded-for": "198.51.100.51" });
    expect(grant.status).toBe(429);
    expect(grant.body.error_codes).toEqual([50053]);
    // The lockout ends; the right password then signs in (a code goes to the app).
    clock.advance(60 * 60_000);
    const ok = await signIn("alice@contoso.test", PASSWORD, "198.51.100.52");
    expect(ok.status).toBe(302);
    expect(new URL(ok.headers.location!).searchParams.get("code")).toBeTruthy();
  });

  it("one source guessing across many user names is locked out on the sign-in page", async () => {
    const source = "203.0.113.7";
    for (let i = 0; i < 5; i++) expect((await signIn(`nobody-${i}@contoso.test`, "guess", source)).status).toBe(200);
    const locked = await signIn("bob@contoso.test", PASSWORD, source);
    expect(locked.status).toBe(429);
    expect(alertOf(locked)).toMatch(/^AADSTS50053/);
    // Another source is not affected.
    expect((await signIn("bob@contoso.test", PASSWORD, "203.0.113.8")).status).toBe(302);
    clock.advance(60 * 60_000);
  });

  it("the device-login page is throttled the same way", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await deviceSignIn("carol@contoso.test", `wrong-${i}`, `192.0.2.${i}`);
      expect(res.status).toBe(200);
      expect(alertOf(res)).toBe("Your username or password is incorrect.");
    }
    const locked = await deviceSignIn("carol@contoso.test", PASSWORD, "192.0.2.50");
    expect(locked.status).toBe(429);
    expect(Number(locked.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(alertOf(locked)).toMatch(/^AADSTS50053: The account is locked/);
    clock.advance(60 * 60_000);
    const ok = await deviceSignIn("carol@contoso.test", PASSWORD, "192.0.2.51");
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("You&#39;re signed in");
    clock.advance(60 * 60_000);
  });

  it("an unknown user name costs a hash on the sign-in page like a known one", async () => {
    const time = async (username: string, i: number) => {
      const t0 = performance.now();
      const res = await signIn(username, `wrong-${i}`, `10.2.${i}.1`);
      expect(res.status).toBe(200);
      return performance.now() - t0;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      known.push(await time("bob@contoso.test", i));
      unknown.push(await time(`nobody-else-${i}@contoso.test`, i + 10));
      clock.advance(60 * 60_000);
    }
    // The fastest of each: other work on the machine only ever adds time, so the minimum is the cost of the path
    // itself (a median of a few samples moved with the load of parallel test files).
    expect(Math.min(...unknown)).toBeGreaterThan(Math.min(...known) * 0.5);
  }, 120_000);

  it("the password grant refuses a managed identity's client id", async () => {
    const mi = JSON.parse(await runCli(srv, ["mi", "create", "--name", "orders-api", "--json", "--endpoint", srv.httpsUrl])) as { clientId: string };
    const res = await form(
      `${authority}/oauth2/v2.0/token`,
      { grant_type: "password", client_id: mi.clientId, username: "bob@contoso.test", password: PASSWORD, scope: ACS_SCOPE },
      { "x-forwarded-for": "10.3.0.1" },
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("unauthorized_client");
    expect(res.body.error_codes).toEqual([700016]);
    expect(res.body.access_token).toBeUndefined();
  });
});
