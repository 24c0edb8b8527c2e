import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { EmailClient } from "@azure/communication-email";
import { SmsClient } from "@azure/communication-sms";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { managedDomainOf } from "../../src/email/email-domains.js";
import { identityWithToken, openSignaling, type SignalingTestClient } from "../support/signaling-client.js";
import { buyNumbers } from "../messaging/helpers.js";
import { launchBrowser } from "../signin/browser-support.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { consoleLink } from "./console-support.js";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
/** Set SWITCHBOARD_CONSOLE_SCREENSHOTS=1 to refresh docs/console/*.png from this run. */
const SCREENSHOTS = process.env.SWITCHBOARD_CONSOLE_SCREENSHOTS === "1" ? path.resolve("docs/console") : undefined;

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** axe-core, evaluated in the page through the DevTools protocol (the page's CSP allows no injected script). */
async function axe(page: Page): Promise<Violation[]> {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const w = globalThis as unknown as { document: unknown; axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Violation[]; passes: unknown[] }> } };
    const r = await w.axe.run(w.document, {});
    return { passes: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })) };
  });
  // axe really ran: it checked rules that passed (landmarks, labels, contrast …).
  expect(result.passes).toBeGreaterThan(10);
  return result.violations;
}

describe("console pages: accessibility", () => {
  let srv: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let identity: string;
  let subject: string;
  let numbers: string[];
  const sockets: SignalingTestClient[] = [];

  beforeAll(async () => {
    srv = await startTestServer();
    identity = (await new CommunicationIdentityClient(srv.connectionString("https")).createUser()).communicationUserId;
    subject = "Your sign-in code";
    const poller = await new EmailClient(srv.connectionString("https")).beginSend({
      senderAddress: `DoNotReply@${managedDomainOf(srv.resource.id)}`,
      content: { subject, plainText: "Your code is 123456", html: "<h1>Your code</h1><p>Your code is <b>123456</b>.</p>" },
      recipients: { to: [{ address: "bob@example.com" }] },
    });
    await poller.pollUntilDone();
    numbers = await buyNumbers(srv, { quantity: 2 });
    await new SmsClient(srv.connectionString("https")).send({ from: numbers[0]!, to: ["+14255550123"], message: "Your code is 424242" }, { enableDeliveryReport: true, tag: "signup" });
    // A call in progress for the Calls page's live table.
    const [a, b] = [await identityWithToken(srv, ["voip"]), await identityWithToken(srv, ["voip"])];
    const [sa, sb] = [openSignaling(srv), openSignaling(srv)];
    sockets.push(sa, sb);
    await sa.authenticate(a.token);
    await sb.authenticate(b.token);
    sa.send({ type: "startCall", callees: [b.id] });
    const { callId } = await sa.next("callStarted");
    await sb.next("incomingCall");
    sb.send({ type: "accept", callId });
    await sb.next("joined");
    browser = await launchBrowser();
    const context = await browser.browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    await page.goto(await consoleLink(srv));
    if (SCREENSHOTS !== undefined) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      // A few samples for the Overview's traffic charts (taken at most once a second, when the Overview is shown).
      const identities = new CommunicationIdentityClient(srv.connectionString("https"));
      for (let i = 0; i < 6; i++) {
        for (let j = 0; j <= i; j++) await identities.createUserAndToken(["chat"]);
        await page.goto(`${srv.httpsUrl}/console`);
        await page.waitForTimeout(1_100);
      }
    }
  }, 90_000);

  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await browser?.close();
    await srv?.close();
  });

  const pages: Array<[string, () => string]> = [
    ["overview", () => "/console"],
    ["resources", () => "/console/resources"],
    ["keys", () => "/console/keys"],
    ["identities", () => "/console/identities"],
    ["identity", () => `/console/identities/${encodeURIComponent(identity)}`],
    ["activity", () => "/console/activity"],
    ["activity-identity", () => `/console/activity?identity=${encodeURIComponent(identity)}`],
    ["outbox", () => "/console/outbox"],
    ["phone-numbers", () => "/console/phone-numbers"],
    ["phone-number-release", () => `/console/phone-numbers?confirm=${encodeURIComponent(numbers[1]!)}`],
    ["chat", () => "/console/chat"],
    ["calls", () => "/console/calls"],
    ["principals", () => "/console/principals"],
    ["roles", () => "/console/roles"],
    ["signing-keys", () => "/console/signing-keys"],
    ["metrics", () => "/console/metrics"],
  ];

  it.each(pages)("%s has no serious or critical axe violation", async (name, url) => {
    const response = await page.goto(`${srv.httpsUrl}${url()}`);
    expect(response?.status()).toBe(200);
    const serious = (await axe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(serious).toEqual([]);
    if (SCREENSHOTS !== undefined) await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
  });

  it("an e-mail's page has no serious or critical axe violation", async () => {
    await page.goto(`${srv.httpsUrl}/console/outbox`);
    await page.getByRole("link", { name: subject }).click();
    await page.frameLocator('iframe[title="E-mail HTML"]').getByRole("heading", { name: "Your code" }).waitFor();
    const serious = (await axe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(serious).toEqual([]);
    if (SCREENSHOTS !== undefined) await page.screenshot({ path: path.join(SCREENSHOTS, "email.png"), fullPage: false });
  });

  it("an SMS's page, with its delivery report, has no serious or critical axe violation", async () => {
    await page.goto(`${srv.httpsUrl}/console/outbox`);
    await page.getByRole("link", { name: "Your code is 424242" }).click();
    await page.getByRole("table", { name: "Delivery report" }).waitFor();
    const serious = (await axe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(serious).toEqual([]);
    if (SCREENSHOTS !== undefined) await page.screenshot({ path: path.join(SCREENSHOTS, "sms.png"), fullPage: false });
  });

  it("the page of a created service principal has no serious or critical axe violation", async () => {
    await page.goto(`${srv.httpsUrl}/console/principals`);
    await page.getByRole("textbox", { name: "Service principal name" }).fill("my-backend");
    await page.getByRole("button", { name: "Create service principal" }).click();
    await page.getByRole("heading", { name: "Service principal my-backend created" }).waitFor();
    const serious = (await axe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(serious).toEqual([]);
    if (SCREENSHOTS !== undefined) await page.screenshot({ path: path.join(SCREENSHOTS, "principal-created.png"), fullPage: false });
  });
});
