import https from "node:https";
import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { EmailClient } from "@azure/communication-email";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { managedDomainOf } from "../../src/email/email-domains.js";
import { ALL_RESOURCES } from "../../src/rbac/role-store.js";
import { launchBrowser } from "../signin/browser-support.js";
import { backendNames } from "../support/backends.js";
import { introspect } from "../support/introspect.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { consoleLink } from "./console-support.js";

describe.each(backendNames)("the operator console (%s)", (backend) => {
  let srv: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  /** Every request the browser made, to show none leaves the server's origin. */
  const requested: string[] = [];

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    browser = await launchBrowser();
    context = await browser.newContext();
    context.on("request", (r) => requested.push(r.url()));
    page = await context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it("signs in with a one-time link; the link's second use is refused; pages carry a strict CSP", async () => {
    const link = await consoleLink(srv);
    expect(link.startsWith(`${srv.httpsUrl}/console/signin?token=`)).toBe(true);
    const response = await page.goto(link);
    expect(response?.status()).toBe(200);
    await expect(page.getByRole("heading", { name: "Overview", level: 1 }).isVisible()).resolves.toBe(true);
    const csp = response!.headers()["content-security-policy"]!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response!.headers()["referrer-policy"]).toBe("no-referrer");

    const cookie = (await context.cookies()).find((c) => c.name === "sb_console")!;
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/console" });

    for (const name of ["Overview", "Resources", "Keys", "Identities", "Activity", "Outbox", "Phone numbers", "Chat", "Calls", "Principals", "Roles", "Signing keys", "Metrics"]) {
      await expect(page.getByRole("link", { name, exact: true }).count()).resolves.toBe(1);
    }
    // Connection strings are masked until revealed.
    const cs = page.getByLabel("Primary connection string", { exact: true });
    await expect(cs.getAttribute("type")).resolves.toBe("password");
    await page.getByRole("button", { name: "Reveal primary connection string" }).click();
    await expect(cs.getAttribute("type")).resolves.toBe("text");
    await expect(cs.inputValue()).resolves.toBe(srv.connectionString("https", "primary"));

    const other = await browser.newContext();
    try {
      const again = await (await other.newPage()).goto(link);
      expect(again?.status()).toBe(400);
      expect(await again!.text()).toContain("already used");
      expect((await other.cookies()).find((c) => c.name === "sb_console")).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it("refuses the data API without a session (401) and state changes without the CSRF token (403)", async () => {
    const anonymous = await fetch(`${srv.httpUrl}/console/api/identities`, { redirect: "manual" });
    expect(anonymous.status).toBe(308);
    expect(anonymous.headers.get("location")).toBe(`${srv.httpsUrl}/console/api/identities`);
    // A browser context that never signed in has no session.
    const fresh = await browser.browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const r = await fresh.request.get(`${srv.httpsUrl}/console/api/identities`);
      expect(r.status()).toBe(401);
      expect((await r.json()) as unknown).toMatchObject({ error: { code: "MissingAuthorization" } });
    } finally {
      await fresh.close();
    }
    const withSession = await page.request.get(`${srv.httpsUrl}/console/api/identities`);
    expect(withSession.status()).toBe(200);
    const noCsrf = await page.request.post(`${srv.httpsUrl}/console/api/identities`, { form: { resource: srv.resource.id } });
    expect(noCsrf.status()).toBe(403);
    const wrongCsrf = await page.request.post(`${srv.httpsUrl}/console/api/identities`, { form: { csrf: "x".repeat(43) } });
    expect(wrongCsrf.status()).toBe(403);
  });

  it("sends browsers from / to the console and keeps the JSON 404 for API clients", async () => {
    const api = await fetch(`${srv.httpUrl}/`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe("NotFound");
    // On the HTTP listener a browser's page request first goes to HTTPS (src/http/https-redirect.ts), there to /console.
    const overHttp = await fetch(`${srv.httpUrl}/`, { headers: { accept: "text/html,application/xhtml+xml" }, redirect: "manual" });
    expect(overHttp.status).toBe(308);
    expect(overHttp.headers.get("location")).toBe(`${srv.httpsUrl}/`);
    const browserLike = await fetch(`${srv.httpsUrl}/`, { headers: { accept: "text/html,application/xhtml+xml" }, redirect: "manual" });
    expect(browserLike.status).toBe(302);
    expect(browserLike.headers.get("location")).toBe("/console");
    const apiOverHttps = await fetch(`${srv.httpsUrl}/`);
    expect(apiOverHttps.status).toBe(404);
    const plain = await fetch(`${srv.httpUrl}/console`, { redirect: "manual" });
    expect(plain.status).toBe(308);
    expect(plain.headers.get("location")).toBe(`${srv.httpsUrl}/console`);
  });

  it("creates an identity and issues it a token the SDK accepts; its activity shows both, by the operator", async () => {
    await page.getByRole("link", { name: "Identities", exact: true }).click();
    await page.getByRole("button", { name: "Create identity" }).click();
    await page.waitForURL(/\/console\/identities\/8%3Aacs%3A/);
    const id = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
    expect(id.startsWith("8:acs:")).toBe(true);

    await page.getByRole("checkbox", { name: "voip", exact: true }).check();
    await page.getByRole("button", { name: "Issue token" }).click();
    const token = await page.getByLabel("Access token").inputValue();
    const claims = await page.getByLabel("Decoded claims").textContent();
    expect(JSON.parse(claims!)).toMatchObject({ sub: id });
    expect(await introspect(srv, token)).toMatchObject({ active: true, identity: id, scopes: ["chat", "voip"] });
    // The Chat SDK accepts the token: it creates a thread with it.
    const chat = new ChatClient(srv.httpsUrl, new AzureCommunicationTokenCredential(token));
    const thread = await chat.createChatThread({ topic: "from the console" });
    expect(thread.chatThread?.id).toMatch(/^19:/);

    // The search finds it; the list links to it.
    await page.getByRole("link", { name: "Identities", exact: true }).click();
    await page.getByRole("searchbox", { name: "Search by id" }).fill(id);
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page.getByRole("link", { name: id }).count()).resolves.toBe(1);

    await page.getByRole("link", { name: "Activity", exact: true }).click();
    await page.getByRole("searchbox", { name: "Identity" }).fill(id);
    const table = page.getByRole("table", { name: "Activity" });
    const deadline = Date.now() + 10_000;
    let text = "";
    while (Date.now() < deadline) {
      await page.getByRole("button", { name: "Show activity" }).click();
      text = (await table.count()) === 1 ? ((await table.textContent()) ?? "") : "";
      if (text.includes("identity.create") && text.includes("identity.issueAccessToken")) break;
      await page.waitForTimeout(200);
    }
    expect(text).toContain("identity.create");
    expect(text).toContain("identity.issueAccessToken");
    // Filters: by operation, outcome and time range.
    await page.getByRole("textbox", { name: "Operation" }).fill("identity.create");
    await page.getByRole("combobox", { name: "Outcome" }).selectOption("succeeded");
    await page.getByRole("combobox", { name: "Time range" }).selectOption("1h");
    await page.getByRole("button", { name: "Show activity" }).click();
    const filtered = (await table.textContent()) ?? "";
    expect(filtered).toContain("identity.create");
    expect(filtered).not.toContain("identity.issueAccessToken");
    await page.getByRole("combobox", { name: "Outcome" }).selectOption("failed");
    await page.getByRole("button", { name: "Show activity" }).click();
    await expect(page.getByText("No activity recorded.").count()).resolves.toBe(1);

    const events = (await srv.server.core.activityRepository.query({ identity: id, limit: 20 })).events;
    const consoleEvents = events.filter((e) => e.operation === "identity.create" || e.operation === "identity.issueAccessToken");
    expect(consoleEvents).toHaveLength(2);
    for (const e of consoleEvents) expect(e).toMatchObject({ principal: "operator:console:alice", outcome: "succeeded", fields: expect.objectContaining({ via: "console" }) });
  });

  it("shows an e-mail sent while the Outbox is open without a reload, its HTML in a sandboxed frame", async () => {
    await page.getByRole("link", { name: "Outbox", exact: true }).click();
    await page.evaluate(() => ((globalThis as unknown as { stayed: boolean }).stayed = true));
    const email = new EmailClient(srv.connectionString("https"));
    const subject = `Welcome ${Date.now()}`;
    const poller = await email.beginSend({
      senderAddress: `DoNotReply@${managedDomainOf(srv.resource.id)}`,
      content: { subject, plainText: "hello", html: `<h1>Hello from the outbox</h1><script>document.body.textContent = "script ran"</script>` },
      recipients: { to: [{ address: "bob@example.com" }] },
    });
    expect((await poller.pollUntilDone()).status).toBe("Succeeded");
    const link = page.getByRole("link", { name: subject });
    await link.waitFor({ timeout: 5_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { stayed?: boolean }).stayed)).toBe(true);

    // Search: the subject finds it; another word does not.
    await page.getByRole("searchbox", { name: "Search messages" }).fill(subject.toUpperCase());
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page.getByRole("link", { name: subject }).count()).resolves.toBe(1);
    await page.getByRole("searchbox", { name: "Search messages" }).fill("no-such-words");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page.getByText("No message matches.").count()).resolves.toBe(1);
    await page.getByRole("link", { name: "Show all, live" }).click();

    await link.click();
    const frame = page.getByTitle("E-mail HTML");
    await expect(frame.getAttribute("sandbox")).resolves.toBe("");
    const inner = page.frameLocator('iframe[title="E-mail HTML"]');
    await inner.getByRole("heading", { name: "Hello from the outbox" }).waitFor({ timeout: 5_000 });
    await expect(inner.locator("body").innerText()).resolves.toBe("Hello from the outbox");
  });

  it("the outbox stream sends messages created since the page was rendered, even those sent before it connected", async () => {
    const since = Date.now() - 1;
    const poller = await new EmailClient(srv.connectionString("https")).beginSend({
      senderAddress: `DoNotReply@${managedDomainOf(srv.resource.id)}`,
      content: { subject: "Before the stream connected", plainText: "hello" },
      recipients: { to: [{ address: "carol@example.com" }] },
    });
    await poller.pollUntilDone();
    const cookie = (await context.cookies()).find((c) => c.name === "sb_console")!;
    const first = await new Promise<string>((resolve, reject) => {
      const req = https.get(`${srv.httpsUrl}/console/api/outbox/stream?since=${since}`, { headers: { cookie: `sb_console=${cookie.value}` }, rejectUnauthorized: false }, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers["content-type"]).toContain("text/event-stream");
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          text += d;
          if (text.includes("event: outbox")) {
            req.destroy();
            resolve(text);
          }
        });
      });
      req.on("error", (err) => (err.message.includes("socket hang up") ? undefined : reject(err)));
      setTimeout(() => reject(new Error("no event")), 5_000).unref();
    });
    expect(first).toContain('"subject":"Before the stream connected"');
  });

  it("regenerating the secondary key from the page makes the old key fail on the SDK within a second", async () => {
    const oldClient = new CommunicationIdentityClient(srv.connectionString("https", "secondary"));
    await oldClient.createUser();
    await page.getByRole("link", { name: "Keys", exact: true }).click();
    await page.getByRole("button", { name: "Regenerate secondary key" }).click();
    const clicked = Date.now();
    await page.getByRole("button", { name: "Yes, regenerate the secondary key" }).click();
    let failedAt: number | undefined;
    while (Date.now() - clicked < 3_000) {
      try {
        await oldClient.createUser();
      } catch (err) {
        expect((err as { statusCode?: number }).statusCode).toBe(401);
        failedAt = Date.now();
        break;
      }
    }
    expect(failedAt).toBeDefined();
    expect(failedAt! - clicked).toBeLessThan(1_000);
    const fresh = await page.getByLabel("Secondary key", { exact: true }).inputValue();
    expect(fresh).toBe(srv.currentResource().keys.secondary.value);
    await new CommunicationIdentityClient(srv.connectionString("https", "secondary")).createUser();
  });

  it("rotates the signing key from the Signing keys page; tokens signed before still work", async () => {
    const identityClient = new CommunicationIdentityClient(srv.connectionString("https"));
    const before = await identityClient.createUserAndToken(["chat"]);
    const oldKid = srv.server.core.keyRing.jwks().keys.map((k) => k.kid);
    await page.getByRole("link", { name: "Signing keys", exact: true }).click();
    await page.getByRole("button", { name: "Rotate signing key" }).click();
    await page.waitForURL(`${srv.httpsUrl}/console/signing-keys`);
    const rows = page.getByRole("table", { name: "User-token signing keys" }).getByRole("row");
    await expect(rows.count()).resolves.toBe(oldKid.length + 2);
    await expect(page.getByRole("table", { name: "User-token signing keys" }).textContent()).resolves.toContain("Retired");
    expect(await introspect(srv, before.token)).toMatchObject({ active: true });
    const after = await identityClient.getToken(before.user, ["chat"]);
    expect(JSON.parse(Buffer.from(after.token.split(".")[0]!, "base64url").toString()).kid).not.toBe(
      JSON.parse(Buffer.from(before.token.split(".")[0]!, "base64url").toString()).kid,
    );
  });

  it("a built-in user with the Reader role sees the console but cannot regenerate a key or create an identity", async () => {
    const rita = await srv.server.core.entra.principals.createUser({ name: "rita", password: "reader-password-1" });
    await srv.server.core.entra.roles.assign(rita.objectId, "Reader", ALL_RESOURCES);
    const before = srv.currentResource().keys.secondary.value;
    const readerContext = await browser.newContext();
    try {
      const reader = await readerContext.newPage();
      await reader.goto(await consoleLink(srv, ["--user", "rita"]));
      await expect(reader.getByText("Signed in as rita").count()).resolves.toBe(1);
      await reader.getByRole("link", { name: "Keys", exact: true }).click();
      await reader.getByRole("button", { name: "Regenerate secondary key" }).click();
      const [refused] = await Promise.all([
        reader.waitForResponse((r) => r.url().endsWith("/console/api/keys/regenerate")),
        reader.getByRole("button", { name: "Yes, regenerate the secondary key" }).click(),
      ]);
      expect(refused.status()).toBe(403);
      await expect(reader.getByRole("alert").textContent()).resolves.toContain("regenerateKey/action");
      await srv.server.core.registry.settled();
      expect(srv.currentResource().keys.secondary.value).toBe(before);

      await reader.getByRole("link", { name: "Identities", exact: true }).click();
      await reader.getByRole("button", { name: "Create identity" }).click();
      await expect(reader.getByRole("alert").textContent()).resolves.toContain("identities/write");

      // Role assignments are the operator's: a signed-in user cannot change them.
      await reader.getByRole("link", { name: "Roles", exact: true }).click();
      await reader.getByRole("button", { name: "Assign role" }).click();
      await expect(reader.getByRole("alert").textContent()).resolves.toContain("changed by the operator");
    } finally {
      await readerContext.close();
    }
  });

  it("a built-in user signs in through the authority's sign-in page; its Reader role still decides", async () => {
    await srv.server.core.entra.principals.createUser({ name: "rob", password: "rob-password-123" });
    const rob = (await srv.server.core.entra.principals.list("user")).find((u) => u.name === "rob")!;
    await srv.server.core.entra.roles.assign(rob.objectId, "Reader", ALL_RESOURCES);
    const userContext = await browser.newContext();
    userContext.on("request", (r) => requested.push(r.url()));
    try {
      const p = await userContext.newPage();
      await p.goto(`${srv.httpsUrl}/console`);
      await p.getByRole("link", { name: "sign in with a user account" }).click();
      await p.getByLabel("Username").fill("rob");
      await p.getByLabel("Password").fill("rob-password-123");
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.waitForURL(`${srv.httpsUrl}/console`);
      await expect(p.getByText("Signed in as rob").count()).resolves.toBe(1);
      await expect(p.getByRole("heading", { name: "Overview", level: 1 }).isVisible()).resolves.toBe(true);
      // The sign-in is in the activity record, filed under the user.
      await srv.server.core.activity.flush();
      const signins = await srv.server.core.activityRepository.recent({ identity: `entra-user:${rob.objectId}`, operation: "console.signin", limit: 5 });
      expect(signins.map((r) => r.event)).toEqual([expect.objectContaining({ principal: `entra-user:${rob.objectId}`, outcome: "succeeded" })]);
      await p.getByRole("link", { name: "Identities", exact: true }).click();
      await p.getByRole("button", { name: "Create identity" }).click();
      await expect(p.getByRole("alert").textContent()).resolves.toContain("identities/write");
      // The authorization code was spent: replaying the callback is refused.
      const replay = await p.goto(`${srv.httpsUrl}/console/signin/callback?code=sbc1.${"0".repeat(64)}&state=x`);
      expect(replay?.status()).toBe(400);
    } finally {
      await userContext.close();
    }
  });

  it("assigns and removes a role on the Roles page; the assignment decides at once", async () => {
    const { principal: sp } = await srv.server.core.entra.principals.createServicePrincipal({ name: "builder" });
    await page.getByRole("link", { name: "Roles", exact: true }).click();
    await page.getByRole("combobox", { name: "Principal" }).selectOption(sp.objectId);
    await page.getByRole("combobox", { name: "Role" }).selectOption("Contributor");
    await page.getByRole("combobox", { name: "Scope" }).selectOption("*");
    await page.getByRole("button", { name: "Assign role" }).click();
    await page.waitForURL(`${srv.httpsUrl}/console/roles`);
    expect(await srv.server.core.entra.roles.assignments(sp.objectId)).toEqual([expect.objectContaining({ roleName: "Contributor", scope: "*" })]);
    await page.getByRole("button", { name: "Remove Contributor from builder" }).click();
    await page.waitForURL(`${srv.httpsUrl}/console/roles`);
    expect(await srv.server.core.entra.roles.assignments(sp.objectId)).toEqual([]);
    await expect(page.getByRole("button", { name: "Remove Contributor from builder" }).count()).resolves.toBe(0);
  });

  it("serves every page, and no request left the server's origin", async () => {
    for (const name of ["Resources", "Phone numbers", "Chat", "Calls", "Principals", "Roles", "Signing keys", "Metrics"]) {
      await page.getByRole("link", { name, exact: true }).click();
      await expect(page.getByRole("heading", { name, level: 1 }).isVisible()).resolves.toBe(true);
    }
    // The Metrics page (the last one visited): the counters as a table, and the traffic as charts.
    await expect(page.getByRole("table", { name: "Metrics" }).getByRole("row").count()).resolves.toBeGreaterThan(5);
    await expect(page.getByRole("img", { name: "Requests per second" }).count()).resolves.toBe(1);
    await expect(page.getByRole("img", { name: "Mean latency" }).count()).resolves.toBe(1);
    expect(requested.length).toBeGreaterThan(10);
    const foreign = requested.filter((u) => !u.startsWith(`${srv.httpsUrl}/`));
    expect(foreign).toEqual([]);
  });
});
