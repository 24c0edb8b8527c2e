import { CommunicationIdentityClient } from "@azure/communication-identity";
import { PhoneNumbersClient } from "@azure/communication-phone-numbers";
import { SmsClient } from "@azure/communication-sms";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_RESOURCES } from "../../src/rbac/role-store.js";
import { openSignaling, ringingCall, type SignalingTestClient } from "../support/signaling-client.js";
import { buyNumbers } from "../messaging/helpers.js";
import { launchBrowser } from "../signin/browser-support.js";
import { recordSecrets } from "../support/secret-scan.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { consoleLink } from "./console-support.js";

/** The console's live views and its actions beyond identities, in headless Chromium (SQLite: the pages are the same on both backends; console-data.test.ts runs the data API on both). */
describe("the console's live views, principals, numbers and delivery reports (Chromium)", () => {
  let srv: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let numbers: string[];
  const sockets: SignalingTestClient[] = [];

  beforeAll(async () => {
    srv = await startTestServer();
    numbers = await buyNumbers(srv, { quantity: 2 });
    browser = await launchBrowser();
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(await consoleLink(srv));
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await browser?.close();
    await srv?.close();
  });

  const stay = () => page.evaluate(() => ((globalThis as unknown as { stayed: boolean }).stayed = true));
  const stayed = () => page.evaluate(() => (globalThis as unknown as { stayed?: boolean }).stayed === true);

  it("the Activity page shows an identity created through the SDK without a reload, and respects its filters", async () => {
    const identities = new CommunicationIdentityClient(srv.connectionString("https"));
    await page.getByRole("link", { name: "Activity", exact: true }).click();
    await stay();
    const user = await identities.createUser();
    const table = page.getByRole("table", { name: "Activity" });
    await table.getByRole("row").filter({ hasText: user.communicationUserId }).filter({ hasText: "identity.create" }).waitFor({ timeout: 10_000 });
    expect(await stayed()).toBe(true);

    // A filtered page adds only the rows its filters let through.
    await page.getByRole("textbox", { name: "Operation" }).fill("identity.issueAccessToken");
    await page.getByRole("button", { name: "Show activity" }).click();
    await stay();
    const other = await identities.createUser();
    await identities.getToken(other, ["chat"]);
    await table.getByRole("row").filter({ hasText: other.communicationUserId }).waitFor({ timeout: 10_000 });
    const rows = await table.getByRole("row").filter({ hasText: other.communicationUserId }).allTextContents();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain("identity.issueAccessToken");
    expect(await stayed()).toBe(true);
  });

  it("without EventSource, the Activity page polls and still shows new events without a reload", async () => {
    const polling = await browser.newContext();
    try {
      await polling.addInitScript(() => {
        delete (globalThis as unknown as { EventSource?: unknown }).EventSource;
      });
      const p = await polling.newPage();
      await p.goto(await consoleLink(srv));
      const streams: string[] = [];
      p.on("request", (r) => (r.url().includes("/stream") ? streams.push(r.url()) : undefined));
      await p.goto(`${srv.httpsUrl}/console/activity?operation=identity.create`);
      await p.evaluate(() => ((globalThis as unknown as { stayed: boolean }).stayed = true));
      const user = await new CommunicationIdentityClient(srv.connectionString("https")).createUser();
      await p.getByRole("table", { name: "Activity" }).getByRole("row").filter({ hasText: user.communicationUserId }).waitFor({ timeout: 10_000 });
      expect(await p.evaluate(() => (globalThis as unknown as { stayed?: boolean }).stayed)).toBe(true);
      expect(streams).toEqual([]);
    } finally {
      await polling.close();
    }
  });

  it("the Overview counts the tokens issued today, lists recent errors and shows the traffic charts", async () => {
    const identities = new CommunicationIdentityClient(srv.connectionString("https"));
    const { user } = await identities.createUserAndToken(["chat"]);
    await identities.deleteUser(user);
    await expect(identities.getToken(user, ["chat"])).rejects.toMatchObject({ statusCode: expect.any(Number) });
    await srv.server.core.activity.flush();
    await page.getByRole("link", { name: "Overview", exact: true }).click();
    const tokens = page.getByRole("table", { name: "Counts" }).getByRole("row", { name: /Tokens issued today/ }).getByRole("cell").nth(1);
    expect(Number(await tokens.textContent())).toBeGreaterThanOrEqual(2);
    const errors = page.getByRole("table", { name: "Recent errors" });
    await expect(errors.getByRole("row").filter({ hasText: "identity.issueAccessToken" }).count()).resolves.toBeGreaterThanOrEqual(1);
    await expect(page.getByRole("img", { name: "Requests per second" }).count()).resolves.toBe(1);
    await expect(page.getByRole("img", { name: "Mean latency" }).count()).resolves.toBe(1);
  });

  it("creates a service principal: the secret is shown once, stored hashed, and gets a client-credentials token", async () => {
    await page.getByRole("link", { name: "Principals", exact: true }).click();
    await page.getByRole("textbox", { name: "Service principal name" }).fill("console-app");
    await page.getByRole("button", { name: "Create service principal" }).click();
    const secret = await page.getByLabel("Client secret", { exact: true }).inputValue();
    const field = (name: string) => page.getByRole("table", { name: "Service principal" }).getByRole("row", { name: new RegExp(`^${name}`) }).getByRole("cell").nth(1).textContent();
    const clientId = (await field("Client id"))!;
    const tenantId = (await field("Tenant id"))!;
    expect(secret.length).toBeGreaterThan(20);
    // The run's log scan fails if any server log line carries it.
    recordSecrets([secret]);

    const res = await fetch(`${srv.httpsUrl}/${tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: secret, scope: "https://communication.azure.com/.default" }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { access_token: string }).access_token.split(".")).toHaveLength(3);

    // Only its hash is stored, and the page never shows it again.
    expect(JSON.stringify(await srv.server.core.store.db.selectFrom("entra_client_secrets").selectAll().execute())).not.toContain(secret);
    await page.getByRole("link", { name: "Principals", exact: true }).click();
    await expect(page.getByRole("table", { name: "Principals" }).textContent()).resolves.toContain(clientId);
    expect(await page.content()).not.toContain(secret);
  });

  it("releases a number after a confirmation; a Reader is refused", async () => {
    const [released] = numbers;
    const rita = await srv.server.core.entra.principals.createUser({ name: "rita", password: "reader-password-1" });
    await srv.server.core.entra.roles.assign(rita.objectId, "Reader", ALL_RESOURCES);
    const readerContext = await browser.newContext();
    try {
      const reader = await readerContext.newPage();
      await reader.goto(await consoleLink(srv, ["--user", "rita"]));
      await reader.getByRole("link", { name: "Phone numbers", exact: true }).click();
      await reader.getByRole("button", { name: `Release ${released}` }).click();
      const [refused] = await Promise.all([
        reader.waitForResponse((r) => r.url().endsWith("/console/api/phone-numbers/release")),
        reader.getByRole("button", { name: `Yes, release ${released}` }).click(),
      ]);
      expect(refused.status()).toBe(403);
      await expect(reader.getByRole("alert").textContent()).resolves.toContain("phoneNumbers/delete");
      // A Reader sees the Principals page but cannot create one.
      await reader.getByRole("link", { name: "Principals", exact: true }).click();
      await reader.getByRole("textbox", { name: "Service principal name" }).fill("not-allowed");
      await reader.getByRole("button", { name: "Create service principal" }).click();
      await expect(reader.getByRole("alert").textContent()).resolves.toContain("servicePrincipals/write");
    } finally {
      await readerContext.close();
    }
    expect((await srv.server.core.entra.principals.list("service-principal")).map((p) => p.name)).not.toContain("not-allowed");

    await page.getByRole("link", { name: "Phone numbers", exact: true }).click();
    await page.getByRole("button", { name: `Release ${released}` }).click();
    await page.getByRole("button", { name: `Yes, release ${released}` }).click();
    await page.waitForURL(`${srv.httpsUrl}/console/phone-numbers`);
    const owned = page.getByRole("table", { name: "Owned phone numbers" });
    await expect(owned.textContent()).resolves.not.toContain(released);
    await expect(owned.textContent()).resolves.toContain(numbers[1]);
    await expect(new PhoneNumbersClient(srv.connectionString("https")).getPurchasedPhoneNumber(released!)).rejects.toMatchObject({ statusCode: 404 });
  });

  it("an SMS opened in the Outbox shows its delivery report", async () => {
    const [sent] = await new SmsClient(srv.connectionString("https")).send(
      { from: numbers[1]!, to: ["+14255550123"], message: "Your code is 424242" },
      { enableDeliveryReport: true, tag: "console-report" },
    );
    expect(sent).toMatchObject({ successful: true });
    await page.getByRole("link", { name: "Outbox", exact: true }).click();
    await page.getByRole("link", { name: "Your code is 424242" }).click();
    const report = page.getByRole("table", { name: "Delivery report" });
    await expect(report.getByRole("row", { name: /^Status/ }).textContent()).resolves.toContain("Delivered");
    await expect(report.getByRole("row", { name: /^Tag/ }).textContent()).resolves.toContain("console-report");
    await expect(report.getByRole("row", { name: /^Report requested/ }).textContent()).resolves.toContain("Yes");
    await expect(page.getByRole("table", { name: "Delivery attempts" }).getByRole("row").count()).resolves.toBe(2);
  });

  it("a key regeneration and the console sign-in appear in the Activity page with the operator as principal", async () => {
    await page.getByRole("link", { name: "Keys", exact: true }).click();
    await page.getByRole("button", { name: "Regenerate primary key" }).click();
    await page.getByRole("button", { name: "Yes, regenerate the primary key" }).click();
    await page.waitForURL(`${srv.httpsUrl}/console/keys`);
    await srv.server.core.activity.flush();

    await page.getByRole("link", { name: "Activity", exact: true }).click();
    await page.getByRole("searchbox", { name: "Identity" }).fill("operator:console:alice");
    await page.getByRole("button", { name: "Show activity" }).click();
    const table = page.getByRole("table", { name: "Activity" });
    const regenerated = table.getByRole("row").filter({ hasText: "keys.regenerate" });
    await expect(regenerated.count()).resolves.toBe(1);
    await expect(regenerated.textContent()).resolves.toContain("operator:console:alice");
    await expect(regenerated.textContent()).resolves.toContain('"keyName":"primary"');
    for (const operation of ["console.signin", "principals.create", "phoneNumbers.release"]) {
      await expect(table.getByRole("row").filter({ hasText: operation }).count(), operation).resolves.toBeGreaterThanOrEqual(1);
    }
  });

  it("the Calls page shows a live call with its participants, updated without a reload", async () => {
    await page.getByRole("link", { name: "Calls", exact: true }).click();
    await expect(page.getByText("No live calls.", { exact: false }).isVisible()).resolves.toBe(true);
    await stay();
    const { a, b, sa, sb, callId } = await ringingCall(srv, () => {
      const s = openSignaling(srv);
      sockets.push(s);
      return s;
    });
    sb.send({ type: "accept", callId, requestId: "r1" });
    await sb.next("joined");

    const live = page.getByRole("table", { name: "Live calls" });
    const row = live.getByRole("row").filter({ hasText: callId });
    await row.filter({ hasText: "Connected" }).waitFor({ timeout: 10_000 });
    await expect(row.textContent()).resolves.toContain(`${a.id} (joined)`);
    await expect(row.textContent()).resolves.toContain(`${b.id} (joined)`);

    sa.send({ type: "hangUp", callId });
    await sb.next("callEnded");
    await page.getByText("No live calls.", { exact: false }).waitFor({ state: "visible", timeout: 10_000 });
    expect(await stayed()).toBe(true);
  });
});
