import { AuthorizationCodeCredential } from "@azure/identity";
import { ConfidentialClientApplication, CryptoProvider, PublicClientApplication, type AuthenticationResult } from "@azure/msal-node";
import { createRemoteJWKSet, jwtVerify } from "jose";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { decodeClaims } from "../entra/entra-support.js";
import { signInOverHttp } from "./headless-signin.js";
import { launchBrowser, startReceiver, type RedirectReceiver } from "./browser-support.js";
import { recordSecrets, runSigninCli } from "./signin-support.js";

const PASSWORD = "correct-horse-42";
const SCOPES = ["https://communication.azure.com/clients/VoIP"];

interface Sp {
  clientId: string;
  clientSecret?: string;
  tenantId: string;
}

async function signInOnPage(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function tokenRequest(srv: TestServer, tenantId: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${srv.httpsUrl}/${tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe.each(backendNames)("authorization code + PKCE through the sign-in page, msal-node and headless Chromium (%s)", (backend) => {
  let srv: TestServer;
  let receiver: RedirectReceiver;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let web: Sp;
  let spa: Sp;
  let authority: string;
  let knownAuthorities: string[];
  let redirectUri: string;
  let spaRedirect: string;
  let context: BrowserContext;
  let first: AuthenticationResult;
  let confidential: ConfidentialClientApplication;
  const crypto = new CryptoProvider();
  const secrets: string[] = [];

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    receiver = await startReceiver();
    browser = await launchBrowser();
    redirectUri = `${receiver.base}/callback`;
    spaRedirect = `${receiver.base}/spa`;
    await runSigninCli(srv, ["user", "create", "--name", "alice@contoso.test", "--password", PASSWORD]);
    await runSigninCli(srv, ["user", "create", "--name", "bob@contoso.test", "--password", PASSWORD]);
    web = JSON.parse(await runSigninCli(srv, ["sp", "create", "--name", "Contoso Web", "--redirect-uri", redirectUri, "--redirect-uri", `${receiver.base}/signed-out`, "--json"])) as Sp;
    spa = JSON.parse(await runSigninCli(srv, ["sp", "create", "--name", "Contoso SPA", "--public", "--redirect-uri", spaRedirect, "--json"])) as Sp;
    authority = `${srv.httpsUrl}/${web.tenantId}`;
    knownAuthorities = [new URL(srv.httpsUrl).host];
    confidential = new ConfidentialClientApplication({ auth: { clientId: web.clientId, clientSecret: web.clientSecret!, authority, knownAuthorities } });
    context = await browser.newContext();
  }, 60_000);
  afterAll(async () => {
    recordSecrets(secrets);
    await context?.close();
    await browser?.close();
    await receiver?.close();
    await srv?.close();
  });

  it("sp create --public registers a public client without a secret; --redirect-uri is listed", () => {
    expect(spa.clientSecret).toBeUndefined();
    expect(spa).toMatchObject({ publicClient: true, redirectUris: [spaRedirect] });
  });

  it("ConfidentialClientApplication: sign in on the page, redeem the code with the PKCE verifier; tokens verify against the JWKS", async () => {
    const pkce = await crypto.generatePkceCodes();
    const nonce = crypto.createNewGuid();
    const url = await confidential.getAuthCodeUrl({ scopes: SCOPES, redirectUri, codeChallenge: pkce.challenge, codeChallengeMethod: "S256", state: "st-1", nonce });
    const page = await context.newPage();
    const response = await page.goto(url);
    // The page: strict CSP, the app's name, labelled fields, keyboard reachable.
    const csp = response!.headers()["content-security-policy"]!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(await page.getByText("Contoso Web").count()).toBe(1);
    await page.getByLabel("Username").focus();
    await page.keyboard.type("alice@contoso.test");
    await page.keyboard.press("Tab");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    const cb = await receiver.next();
    expect(cb.query.state).toBe("st-1");
    expect(cb.query.code).toMatch(/^sbc1\./);
    secrets.push(cb.query.code!);
    await page.close();

    first = await confidential.acquireTokenByCode({ code: cb.query.code!, redirectUri, scopes: SCOPES, codeVerifier: pkce.verifier, state: "st-1" }, { code: cb.query.code!, state: "st-1", nonce } as never);
    const jwks = createRemoteJWKSet(new URL(`${authority}/discovery/v2.0/keys`));
    const access = await jwtVerify(first.accessToken, jwks, { issuer: `${authority}/v2.0`, audience: "https://communication.azure.com" });
    expect(access.payload).toMatchObject({ scp: "clients/VoIP", appid: web.clientId, idtyp: "user", name: "alice@contoso.test" });
    const id = await jwtVerify(first.idToken, jwks, { issuer: `${authority}/v2.0`, audience: web.clientId });
    expect(id.payload).toMatchObject({ nonce, preferred_username: "alice@contoso.test", name: "alice@contoso.test", tid: web.tenantId });
    expect(id.payload.oid).toBe(id.payload.sub);
    expect(first.account?.username).toBe("alice@contoso.test");

    // The code is single use.
    const again = await tokenRequest(srv, web.tenantId, { grant_type: "authorization_code", client_id: web.clientId, client_secret: web.clientSecret!, code: cb.query.code!, redirect_uri: redirectUri, code_verifier: pkce.verifier, scope: SCOPES.join(" ") });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: "invalid_grant", error_codes: [54005] });

    // The session cookie: HttpOnly, Secure, SameSite=Lax, on the tenant's path.
    const cookie = (await context.cookies()).find((c) => c.name === "sb_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: `/${web.tenantId}/` });
    secrets.push(cookie.value);
  });

  it("the discovery document lists the sign-in endpoints, grants and modes", async () => {
    const doc = (await (await fetch(`${authority}/v2.0/.well-known/openid-configuration`)).json()) as Record<string, any>;
    expect(doc).toMatchObject({
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
      userinfo_endpoint: `${authority}/oidc/userinfo`,
      end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
      device_authorization_endpoint: `${authority}/oauth2/v2.0/devicecode`,
      code_challenge_methods_supported: ["S256"],
      response_modes_supported: ["query", "fragment", "form_post"],
    });
    expect(doc.grant_types_supported).toEqual(expect.arrayContaining(["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"]));
    expect(doc.response_types_supported).toContain("code");
  });

  it("userinfo answers the signed-in user's claims for their access token", async () => {
    const res = await fetch(`${authority}/oidc/userinfo`, { headers: { authorization: `Bearer ${first.accessToken}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ preferred_username: "alice@contoso.test", tid: web.tenantId });
    expect((await fetch(`${authority}/oidc/userinfo`)).status).toBe(401);
  });

  it("prompt=none with a session returns a code without the form; without one, login_required", async () => {
    const pkce = await crypto.generatePkceCodes();
    const url = await confidential.getAuthCodeUrl({ scopes: SCOPES, redirectUri, codeChallenge: pkce.challenge, codeChallengeMethod: "S256", prompt: "none", state: "silent" });
    const page = await context.newPage();
    await page.goto(url);
    const cb = await receiver.next();
    expect(cb.query).toMatchObject({ state: "silent" });
    expect(cb.query.code).toMatch(/^sbc1\./);
    secrets.push(cb.query.code!);
    const result = await confidential.acquireTokenByCode({ code: cb.query.code!, redirectUri, scopes: SCOPES, codeVerifier: pkce.verifier });
    expect(decodeClaims(result.accessToken).name).toBe("alice@contoso.test");
    await page.close();

    const fresh = await browser.newContext();
    const other = await fresh.newPage();
    await other.goto(url);
    const refused = await receiver.next();
    expect(refused.query).toMatchObject({ error: "login_required", state: "silent" });
    expect(refused.query.code).toBeUndefined();
    await fresh.close();
  });

  it("response_mode form_post and fragment deliver the code; prompt=select_account shows the form despite the session", async () => {
    const page = await context.newPage();
    const base = new URL(await confidential.getAuthCodeUrl({ scopes: SCOPES, redirectUri, state: "fp" }));
    base.searchParams.set("response_mode", "form_post");
    const formPost = await page.goto(base.toString());
    expect(formPost!.headers()["content-security-policy"]).toContain(`form-action 'self' ${receiver.base}`);
    const posted = await receiver.next();
    expect(posted.method).toBe("POST");
    const fields = Object.fromEntries(new URLSearchParams(posted.body));
    expect(fields.state).toBe("fp");
    expect(fields.code).toMatch(/^sbc1\./);
    secrets.push(fields.code!);

    base.searchParams.set("response_mode", "fragment");
    await page.goto(base.toString());
    const fragment = await receiver.next();
    expect(fragment.query).toEqual({});
    const hash = new URLSearchParams(new URL(page.url()).hash.slice(1));
    expect(hash.get("code")).toMatch(/^sbc1\./);
    secrets.push(hash.get("code")!);

    base.searchParams.delete("response_mode");
    base.searchParams.set("prompt", "select_account");
    base.searchParams.set("login_hint", "alice@contoso.test");
    await page.goto(base.toString());
    expect(await page.getByLabel("Username").inputValue()).toBe("alice@contoso.test");
    expect(await page.getByRole("button", { name: "Sign in" }).count()).toBe(1);
    await page.close();
  });

  it("a wrong verifier and another redirect URI are refused at the token endpoint; a failed try spends the code", async () => {
    const pkce = await crypto.generatePkceCodes();
    const url = await confidential.getAuthCodeUrl({ scopes: SCOPES, redirectUri, codeChallenge: pkce.challenge, codeChallengeMethod: "S256" });
    const page = await context.newPage();
    await page.goto(url);
    const cb = await receiver.next();
    secrets.push(cb.query.code!);
    await page.close();
    const wrong = (await crypto.generatePkceCodes()).verifier;
    await expect(confidential.acquireTokenByCode({ code: cb.query.code!, redirectUri, scopes: SCOPES, codeVerifier: wrong })).rejects.toThrow(/AADSTS501481/);
    // The failed attempt spent the code: even the right verifier is refused now.
    const retry = await tokenRequest(srv, web.tenantId, { grant_type: "authorization_code", client_id: web.clientId, client_secret: web.clientSecret!, code: cb.query.code!, redirect_uri: redirectUri, code_verifier: pkce.verifier, scope: SCOPES.join(" ") });
    expect(retry.body).toMatchObject({ error: "invalid_grant", error_codes: [54005] });

    const pkce2 = await crypto.generatePkceCodes();
    const page2 = await context.newPage();
    await page2.goto(await confidential.getAuthCodeUrl({ scopes: SCOPES, redirectUri, codeChallenge: pkce2.challenge, codeChallengeMethod: "S256" }));
    const cb2 = await receiver.next();
    secrets.push(cb2.query.code!);
    await page2.close();
    const otherRedirect = await tokenRequest(srv, web.tenantId, { grant_type: "authorization_code", client_id: web.clientId, client_secret: web.clientSecret!, code: cb2.query.code!, redirect_uri: `${receiver.base}/signed-out`, code_verifier: pkce2.verifier, scope: SCOPES.join(" ") });
    expect(otherRedirect).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  });

  it("an unregistered redirect URI gets an error page, never a redirect", async () => {
    const url = new URL(await confidential.getAuthCodeUrl({ scopes: SCOPES, redirectUri }));
    url.searchParams.set("redirect_uri", `${receiver.base}/evil`);
    const before = receiver.received.length;
    const page = await context.newPage();
    const res = await page.goto(url.toString());
    expect(res!.status()).toBe(400);
    expect(page.url()).toContain(srv.httpsUrl);
    await expect(page.getByRole("heading", { name: "Sign-in failed" }).count()).resolves.toBe(1);
    expect(await page.getByRole("alert").textContent()).toContain("AADSTS50011");
    expect(receiver.received.length).toBe(before);
    await page.close();
  });

  it("a wrong password and an unknown user get the same message on the page and no code", async () => {
    const fresh = await browser.newContext();
    const page = await fresh.newPage();
    const before = receiver.received.length;
    await page.goto(await confidential.getAuthCodeUrl({ scopes: SCOPES, redirectUri, prompt: "login" }));
    await signInOnPage(page, "alice@contoso.test", "wrong-password");
    const wrong = await page.getByRole("alert").textContent();
    await signInOnPage(page, "nobody@contoso.test", PASSWORD);
    const unknown = await page.getByRole("alert").textContent();
    expect(wrong).toBe("Your username or password is incorrect.");
    expect(unknown).toBe(wrong);
    expect(receiver.received.length).toBe(before);
    // The username stays filled in; the right password then signs in.
    expect(await page.getByLabel("Username").inputValue()).toBe("nobody@contoso.test");
    await signInOnPage(page, "bob@contoso.test", PASSWORD);
    const cb = await receiver.next();
    expect(cb.query.code).toMatch(/^sbc1\./);
    secrets.push(cb.query.code!);
    await fresh.close();
  });

  it("the sign-in form refuses a post without its CSRF cookie", async () => {
    const url = new URL(await confidential.getAuthCodeUrl({ scopes: SCOPES, redirectUri }));
    const form = new URLSearchParams(Object.fromEntries(url.searchParams));
    form.set("username", "alice@contoso.test");
    form.set("password", PASSWORD);
    form.set("csrf", "forged");
    const res = await fetch(`${authority}/oauth2/v2.0/authorize`, { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" }, redirect: "manual" });
    expect(res.status).toBe(403);
    expect(res.headers.get("location")).toBeNull();
    expect(await res.text()).toContain("Your sign-in page expired");
  });

  it("refresh tokens rotate; a spent one presented again revokes its whole family", async () => {
    const account = first.account!;
    const silent = await confidential.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh: true });
    expect(decodeClaims(silent.accessToken).oid).toBe(account.localAccountId);

    const cache = JSON.parse(confidential.getTokenCache().serialize()) as { RefreshToken: Record<string, { secret: string }> };
    const current = Object.values(cache.RefreshToken)[0]!.secret;
    expect(current).toMatch(/^sbr1\./);
    const form = (rt: string) => ({ grant_type: "refresh_token", client_id: web.clientId, client_secret: web.clientSecret!, refresh_token: rt, scope: `${SCOPES[0]} openid offline_access` });
    const rotated = await tokenRequest(srv, web.tenantId, form(current));
    expect(rotated.status).toBe(200);
    const next = rotated.body.refresh_token as string;
    expect(next).toMatch(/^sbr1\./);
    expect(next).not.toBe(current);
    secrets.push(current, next);
    // Reuse of the spent token: refused, and the family is revoked, so the fresh one fails too.
    const reuse = await tokenRequest(srv, web.tenantId, form(current));
    expect(reuse).toMatchObject({ status: 400, body: { error: "invalid_grant", error_codes: [50173] } });
    const afterRevocation = await tokenRequest(srv, web.tenantId, form(next));
    expect(afterRevocation).toMatchObject({ status: 400, body: { error: "invalid_grant", error_codes: [50173] } });
    // Another client cannot use a refresh token either.
    const foreign = await tokenRequest(srv, web.tenantId, { ...form(next), client_id: spa.clientId, client_secret: "" });
    expect(foreign.status).toBeGreaterThanOrEqual(400);
  });

  it("PublicClientApplication: a public client signs in with PKCE and no secret; without PKCE it is refused", async () => {
    const pca = new PublicClientApplication({ auth: { clientId: spa.clientId, authority, knownAuthorities } });
    const pkce = await crypto.generatePkceCodes();
    const page = await context.newPage();
    await page.goto(await pca.getAuthCodeUrl({ scopes: SCOPES, redirectUri: spaRedirect, codeChallenge: pkce.challenge, codeChallengeMethod: "S256", prompt: "login" }));
    await signInOnPage(page, "bob@contoso.test", PASSWORD);
    const cb = await receiver.next();
    secrets.push(cb.query.code!);
    const result = await pca.acquireTokenByCode({ code: cb.query.code!, redirectUri: spaRedirect, scopes: SCOPES, codeVerifier: pkce.verifier });
    expect(decodeClaims(result.idToken)).toMatchObject({ aud: spa.clientId, preferred_username: "bob@contoso.test" });
    expect(decodeClaims(result.accessToken)).toMatchObject({ appid: spa.clientId, appidacr: "0" });
    await page.goto(await pca.getAuthCodeUrl({ scopes: SCOPES, redirectUri: spaRedirect }));
    const refused = await receiver.next();
    expect(refused.query).toMatchObject({ error: "invalid_request" });
    expect(refused.query.error_description).toContain("AADSTS9002325");
    await page.close();
  });

  it("AuthorizationCodeCredential redeems a code for a confidential app; sp update changes the redirect URIs", async () => {
    const { code } = await signInOverHttp({ authority, clientId: web.clientId, redirectUri, scope: SCOPES[0]!, username: "bob@contoso.test", password: PASSWORD, codeOnly: true, pkce: false });
    secrets.push(code);
    const credential = new AuthorizationCodeCredential(web.tenantId, web.clientId, web.clientSecret!, code, redirectUri, { authorityHost: srv.httpsUrl, disableInstanceDiscovery: true });
    const token = await credential.getToken(SCOPES[0]!);
    expect(decodeClaims(token.token)).toMatchObject({ name: "bob@contoso.test", appid: web.clientId, appidacr: "1" });

    const moved = `${receiver.base}/moved`;
    const updated = JSON.parse(await runSigninCli(srv, ["sp", "update", web.clientId, "--redirect-uri", moved, "--redirect-uri", `${receiver.base}/signed-out`, "--json"])) as Record<string, unknown>;
    expect(updated).toMatchObject({ redirectUris: [moved, `${receiver.base}/signed-out`], publicClient: false });
    await expect(signInOverHttp({ authority, clientId: web.clientId, redirectUri, scope: SCOPES[0]!, username: "bob@contoso.test", password: PASSWORD, codeOnly: true })).rejects.toThrow(/authorize: 400/);
    const again = await signInOverHttp({ authority, clientId: web.clientId, redirectUri: moved, scope: SCOPES[0]!, username: "bob@contoso.test", password: PASSWORD, codeOnly: true });
    secrets.push(again.code);
    await runSigninCli(srv, ["sp", "update", web.clientId, "--redirect-uri", redirectUri, "--redirect-uri", `${receiver.base}/signed-out`]);
    await expect(runSigninCli(srv, ["sp", "update", web.clientId, "--redirect-uri", "ftp://example.com/x"])).rejects.toThrow(/must be https/);
  });

  it("sp create --expose-scope makes api://<clientId>/<scope> requestable; an unexposed scope is refused", async () => {
    const apiApp = JSON.parse(await runSigninCli(srv, ["sp", "create", "--name", "Contoso API", "--public", "--expose-scope", "access_as_user", "--json"])) as Sp & { exposedScopes: string[] };
    expect(apiApp.exposedScopes).toEqual(["access_as_user"]);
    const tokens = await signInOverHttp({ authority, clientId: spa.clientId, redirectUri: spaRedirect, scope: `api://${apiApp.clientId}/access_as_user offline_access`, username: "bob@contoso.test", password: PASSWORD });
    expect(decodeClaims(tokens.access_token)).toMatchObject({ aud: apiApp.clientId, scp: "access_as_user", appid: spa.clientId });
    secrets.push(tokens.refresh_token);
    const res = await fetch(`${authority}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: spa.clientId, redirect_uri: spaRedirect, response_type: "code", scope: `api://${apiApp.clientId}/Files.Read`, code_challenge: "a".repeat(43), code_challenge_method: "S256" })}`, { redirect: "manual" });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get("location")!);
    expect(back.searchParams.get("error")).toBe("invalid_scope");
    expect(back.searchParams.get("error_description")).toMatch(/^AADSTS65005/);
  });

  it("sign-out ends the session and returns to a registered URI; prompt=none then needs a sign-in", async () => {
    const page = await context.newPage();
    await page.goto(`${authority}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent(`${receiver.base}/signed-out`)}`);
    const back = await receiver.next();
    expect(back.path).toBe("/signed-out");
    expect((await context.cookies()).find((c) => c.name === "sb_session")).toBeUndefined();
    await page.goto(await confidential.getAuthCodeUrl({ scopes: SCOPES, redirectUri, prompt: "none", state: "after" }));
    expect((await receiver.next()).query).toMatchObject({ error: "login_required", state: "after" });
    await page.close();
  });

  it("codes and refresh tokens are stored hashed, and no sign-in secret reaches the log", async () => {
    const db = srv.server.core.store.db;
    const codes = await db.selectFrom("idp_authorization_codes").select("code_hash").execute();
    const rts = await db.selectFrom("idp_refresh_tokens").select("token_hash").execute();
    expect(codes.length).toBeGreaterThan(3);
    expect(rts.length).toBeGreaterThan(1);
    for (const row of [...codes.map((c) => c.code_hash), ...rts.map((r) => r.token_hash)]) expect(row).toMatch(/^[0-9a-f]{64}$/);
    const stored = JSON.stringify([codes, rts]);
    const log = srv.readLog();
    for (const s of secrets) {
      expect(stored).not.toContain(s);
      expect(log).not.toContain(s);
    }
  });
});
