/**
 * Attack classes of the entry points added after the first security round (sign-in, ARM, webhooks, console) that no feature test covers:
 * each test fails if its protection is removed. SECURITY.md lists them.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import type { TestServer } from "../support/test-server.js";
import { signInOverHttp } from "../signin/headless-signin.js";
import { recordSecrets, runSigninCli } from "../signin/signin-support.js";
import type { MiCreateOutput } from "../../src/cli/mi-command.js";
import { consoleLink } from "../console/console-support.js";
import { armClient, credentialOf, principalWithRole } from "../management/arm-support.js";
import { accessKey, expectAcsError, newUser, rawRequest, startServer } from "./support.js";

const PASSWORD = "correct-horse-42";
const SCOPE = "https://communication.azure.com/clients/VoIP openid offline_access";
const WEB_REDIRECT = "https://web.example/callback";
const SPA_REDIRECT = "https://spa.example/callback";
const ARM_API = "api-version=2025-09-01";

interface Sp {
  clientId: string;
  clientSecret?: string;
  tenantId: string;
}

describe.each(backendNames)("new entry points: sign-in, ARM, webhook and console attacks (%s)", (backend) => {
  let srv: TestServer;
  let web: Sp;
  let other: Sp;
  let spa: Sp;
  let authority: string;
  const secrets: string[] = [];

  const token = async (form: Record<string, string>) => {
    const res = await fetch(`${authority}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const codeFor = async (client: Sp, redirectUri: string) => {
    const { code } = await signInOverHttp({ authority, clientId: client.clientId, redirectUri, scope: SCOPE, username: "mallory@contoso.test", password: PASSWORD, codeOnly: true, pkce: false });
    secrets.push(code);
    return code as string;
  };
  const authorize = (params: Record<string, string>) =>
    fetch(`${authority}/oauth2/v2.0/authorize?${new URLSearchParams({ response_type: "code", scope: SCOPE, state: "s", ...params })}`, { redirect: "manual" });

  beforeAll(async () => {
    srv = await startServer(backend);
    await runSigninCli(srv, ["user", "create", "--name", "mallory@contoso.test", "--password", PASSWORD]);
    web = JSON.parse(await runSigninCli(srv, ["sp", "create", "--name", "Web", "--redirect-uri", WEB_REDIRECT, "--json"])) as Sp;
    other = JSON.parse(await runSigninCli(srv, ["sp", "create", "--name", "Other", "--redirect-uri", WEB_REDIRECT, "--json"])) as Sp;
    spa = JSON.parse(await runSigninCli(srv, ["sp", "create", "--name", "Spa", "--public", "--redirect-uri", SPA_REDIRECT, "--json"])) as Sp;
    authority = `${srv.httpsUrl}/${web.tenantId}`;
  }, 60_000);
  afterAll(async () => {
    recordSecrets(secrets);
    await srv?.close();
  });

  it("an authorization code issued to one client is refused to another, even with the same redirect URI and its own secret", async () => {
    const code = await codeFor(web, WEB_REDIRECT);
    const stolen = await token({ grant_type: "authorization_code", client_id: other.clientId, client_secret: other.clientSecret!, code, redirect_uri: WEB_REDIRECT });
    expect(stolen).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect(stolen.body.error_description).toMatch(/^AADSTS70000: The authorization code was issued to another client/);
  });

  it("PKCE cannot be downgraded to plain (explicit or by omitting the method)", async () => {
    for (const extra of [{ code_challenge_method: "plain" }, {}] as Array<Record<string, string>>) {
      const res = await authorize({ client_id: spa.clientId, redirect_uri: SPA_REDIRECT, code_challenge: "x".repeat(43), ...extra });
      expect(res.status).toBe(302);
      const back = new URL(res.headers.get("location")!);
      expect(back.origin + back.pathname).toBe(SPA_REDIRECT);
      expect(back.searchParams.get("error")).toBe("invalid_request");
      expect(back.searchParams.get("error_description")).toMatch(/^AADSTS501491/);
      expect(back.searchParams.get("code")).toBeNull();
    }
  });

  it("a refresh token is refused to another client (700005), public or confidential", async () => {
    const signedIn = await signInOverHttp({ authority, clientId: spa.clientId, redirectUri: SPA_REDIRECT, scope: SCOPE, username: "mallory@contoso.test", password: PASSWORD });
    const rt = signedIn.refresh_token as string;
    secrets.push(rt, signedIn.access_token as string);
    const foreign = await token({ grant_type: "refresh_token", client_id: web.clientId, client_secret: web.clientSecret!, refresh_token: rt });
    expect(foreign).toMatchObject({ status: 400, body: { error: "invalid_grant", error_codes: [700005] } });
  });

  it("redirect_uri with extra path, query or another scheme is an error page, never a redirect; logout redirects only to registered URIs", async () => {
    for (const uri of [`${WEB_REDIRECT}/../evil`, `${WEB_REDIRECT}/x`, `${WEB_REDIRECT}?next=https://evil.example`, `${WEB_REDIRECT}#x`, WEB_REDIRECT.replace("https:", "http:"), WEB_REDIRECT.toUpperCase(), "https://evil.example/callback"]) {
      const res = await authorize({ client_id: web.clientId, redirect_uri: uri });
      expect({ uri, status: res.status, location: res.headers.get("location") }).toEqual({ uri, status: 400, location: null });
      expect(await res.text()).toContain("AADSTS50011");
    }
    for (const target of ["https://evil.example/", `${WEB_REDIRECT}/x`, `//evil.example${new URL(WEB_REDIRECT).pathname}`, `${WEB_REDIRECT}?x=1`]) {
      const res = await fetch(`${authority}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent(target)}`, { redirect: "manual" });
      expect({ target, status: res.status, location: res.headers.get("location") }).toEqual({ target, status: 200, location: null });
    }
    const ok = await fetch(`${authority}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent(WEB_REDIRECT)}`, { redirect: "manual" });
    expect({ status: ok.status, location: ok.headers.get("location") }).toEqual({ status: 302, location: WEB_REDIRECT });
  });

  it("ARM refuses a resource's access key and an ACS user token (401), and another group's Contributor through dot segments, encoded slashes or casing", async () => {
    const sub = srv.server.core.management.subscriptionId;
    const path = `/subscriptions/${sub}/resourceGroups/rg-sec/providers/Microsoft.Communication/communicationServices/sec-a`;
    const owner = await principalWithRole(srv, "sec-owner", "Owner");
    await armClient(srv, owner).communicationServices.beginCreateOrUpdateAndWait("rg-sec", "sec-a", { location: "global", dataLocation: "United States" });

    const hmac = await signedFetch(`${srv.httpsUrl}${path}?${ARM_API}`, { method: "GET", accessKey: accessKey(srv) });
    expectAcsError(hmac, 401, "UnsupportedAuthorizationScheme");
    const user = await newUser(srv);
    const asUser = await rawRequest(`${srv.httpsUrl}${path}?${ARM_API}`, { headers: { authorization: `Bearer ${user.token}` } });
    expectAcsError(asUser, 401, "UntrustedTokenIssuer");

    // A Contributor of another group cannot reach the resource through dot segments, encoded slashes or casing.
    const intruder = await principalWithRole(srv, "sec-rg-other", "Contributor", "rg:rg-other");
    const bearer = (await credentialOf(srv, intruder).getToken(`${srv.httpsUrl}/.default`))!.token;
    secrets.push(bearer);
    const tail = "providers/Microsoft.Communication/communicationServices/sec-a";
    const cases: Array<[string, number, string]> = [
      [`/subscriptions/${sub}/resourceGroups/rg-other/../rg-sec/${tail}`, 403, "AuthorizationFailed"],
      [`/subscriptions/${sub}/resourceGroups/rg-other/%2E%2E/rg-sec/${tail}`, 403, "AuthorizationFailed"],
      [`/subscriptions/${sub}/resourceGroups/rg-other/providers/../../rg-sec/${tail}`, 403, "AuthorizationFailed"],
      [`/subscriptions/${sub}/resourceGroups/rg-other%2F..%2Frg-sec/${tail}`, 404, "ResourceGroupNotFound"],
      [`/subscriptions/${sub.toUpperCase()}/resourceGroups/RG-SEC/${tail.replace("sec-a", "SEC-A")}`, 403, "AuthorizationFailed"],
    ];
    for (const [p, status, code] of cases) {
      const res = await rawRequest(`${srv.httpsUrl}${p}?${ARM_API}`, { headers: { authorization: `Bearer ${bearer}` } });
      expect({ p, status: res.status, code: res.body?.error?.code }).toEqual({ p, status, code });
    }
    // The same token does reach its own group, so the refusals above are about the path, not the token.
    const own = await rawRequest(`${srv.httpsUrl}/subscriptions/${sub}/resourceGroups/rg-other/${tail}?${ARM_API}`, { headers: { authorization: `Bearer ${bearer}` } });
    expect({ status: own.status, code: own.body?.error?.code }).toEqual({ status: 404, code: "ResourceGroupNotFound" });
  }, 60_000);

  it("webhooks: metadata and link-local addresses in any spelling, and private hosts, are refused; a redirect is not followed", async () => {
    const url = `${srv.httpUrl}/events/subscriptions`;
    for (const endpoint of [
      "http://2852039166/latest/meta-data", // 169.254.169.254 as one decimal number
      "http://0xa9.0xfe.0xa9.0xfe/latest",
      "http://[::ffff:169.254.169.254]/",
      "http://[fe80::1]/",
      "http://METADATA.google.internal/",
      "http://10.0.0.1/hook",
      "http://192.168.1.1/hook",
      "http://user:pw@127.0.0.1/hook",
    ]) {
      const res = await signedFetch(url, { method: "POST", body: { endpoint }, accessKey: accessKey(srv) });
      expect({ endpoint, status: res.status, code: res.body?.error?.code }).toEqual({ endpoint, status: 400, code: "InvalidRequestBody" });
    }
    expect((await signedFetch(url, { accessKey: accessKey(srv) })).body).toEqual({ value: [] });

    // An allowed (loopback) endpoint that redirects elsewhere: the target is never contacted, the subscription fails.
    let targetHits = 0;
    const target = http.createServer((_req, res) => {
      targetHits++;
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    const redirector = http.createServer((_req, res) => res.writeHead(307, { location: `http://127.0.0.1:${(target.address() as AddressInfo).port}/hook` }).end());
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => redirector.listen(0, "127.0.0.1", r));
    try {
      for (const schema of ["eventgrid", "cloudevents"]) {
        const endpoint = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/hook`;
        const res = await signedFetch(url, { method: "POST", body: { endpoint, schema }, accessKey: accessKey(srv) });
        expect(res.status).toBe(201);
        expect(res.body).toMatchObject({ status: "failed" });
      }
      expect(targetHits).toBe(0);
    } finally {
      target.close();
      redirector.close();
    }
  });

  it("console: a forged session cookie, another session's CSRF token and a reused link are refused; every page forbids framing", async () => {
    const session = async () => {
      const link = await consoleLink(srv, ["--operator", "sec"]);
      const res = await fetch(link, { redirect: "manual" });
      expect(res.status).toBe(303);
      const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
      const home = await fetch(`${srv.httpsUrl}/console`, { headers: { cookie } });
      const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await home.text())![1]!;
      secrets.push(cookie.slice(cookie.indexOf("=") + 1), csrf);
      return { link, cookie, csrf };
    };
    const a = await session();
    const b = await session();
    const reused = await fetch(a.link, { redirect: "manual" });
    expect({ status: reused.status, cookie: reused.headers.get("set-cookie") }).toEqual({ status: 400, cookie: null });

    const api = `${srv.httpsUrl}/console/api/identities`;
    const forged = `${a.cookie.slice(0, a.cookie.indexOf("=") + 1)}${"A".repeat(43)}`;
    for (const cookie of [forged, `${a.cookie}x`, ""]) {
      const res = await fetch(api, { headers: cookie === "" ? {} : { cookie } });
      expect({ cookie, status: res.status, code: ((await res.json()) as any).error?.code }).toEqual({ cookie, status: 401, code: "MissingAuthorization" });
    }
    const post = (cookie: string, csrf: string) =>
      fetch(api, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ resource: srv.resource.id, csrf }), redirect: "manual" });
    const crossed = await post(a.cookie, b.csrf);
    expect({ status: crossed.status, code: ((await crossed.json()) as any).error?.code }).toEqual({ status: 403, code: "Forbidden" });
    expect(await post(a.cookie, a.csrf).then((r) => r.status)).toBeLessThan(400); // the same request with its own token works

    for (const p of ["/console", "/console/resources", "/console/keys", "/console/identities", "/console/activity", "/console/outbox", "/console/signin?token=x"]) {
      const res = await fetch(`${srv.httpsUrl}${p}`, { headers: { cookie: a.cookie }, redirect: "manual" });
      expect({ p, frame: res.headers.get("x-frame-options"), ancestors: /frame-ancestors 'none'/.test(res.headers.get("content-security-policy") ?? "") }).toEqual({ p, frame: "DENY", ancestors: true });
    }
  });

  it("managed identity: one workload's header never yields another workload's identity, and no token for an arbitrary audience", async () => {
    const create = async (name: string) =>
      JSON.parse(await runSigninCli(srv, ["mi", "create", "--json", "--endpoint", srv.httpsUrl, "--name", name, "--role", "Contributor"])) as MiCreateOutput;
    const mine = await create("sec-orders");
    const theirs = await create("sec-billing");
    secrets.push(mine.identityHeader!, theirs.identityHeader!);
    const acs = encodeURIComponent("https://communication.azure.com/");
    const ask = (query: string) => fetch(`${mine.identityEndpoint}?api-version=2019-08-01&${query}`, { headers: { "x-identity-header": mine.identityHeader! } });
    for (const select of [`client_id=${theirs.clientId}`, `client_id=${theirs.clientId.toUpperCase()}`, `object_id=${theirs.principalId}`, `principal_id=${theirs.principalId}`, "mi_res_id=/subscriptions/x/resourceGroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/sec-billing"]) {
      const res = await ask(`resource=${acs}&${select}`);
      expect({ select, status: res.status, error: ((await res.json()) as any).error }).toEqual({ select, status: 400, error: "invalid_request" });
    }
    for (const audience of ["https://evil.example/", `api://${web.clientId}`, srv.httpsUrl, "https://communication.azure.com.evil.example/", "https://graph.microsoft.com/"]) {
      const res = await ask(`resource=${encodeURIComponent(audience)}`);
      expect({ audience, status: res.status, error: ((await res.json()) as any).error }).toEqual({ audience, status: 400, error: "invalid_resource" });
    }
    const own = await ask(`resource=${acs}&client_id=${mine.clientId}`);
    expect(own.status).toBe(200);
    secrets.push(((await own.json()) as any).access_token);
  });
});
