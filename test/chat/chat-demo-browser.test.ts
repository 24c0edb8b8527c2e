import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identityWithToken } from "../support/signaling-client.js";
import { findChromium } from "../support/chromium.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// page.evaluate callbacks run in the browser; the project's TypeScript config has no DOM library.
declare const document: any;

const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

/** The messages the page lists, as "name: text" in display order. */
function shownMessages(page: Page): Promise<string[]> {
  return page.$$eval("#messages li", (items: any[]) => items.map((li) => `${li.querySelector(".who").textContent} ${li.querySelector(".text").textContent}`));
}

// One backend (SQLite): the page and the browser client are what is tested here; chat events on the socket run on
// both backends in test/calling/chat-events-socket.test.ts.
describe("chat demo page: a live conversation between two headless-Chromium tabs", () => {
  let srv: TestServer;
  let context: BrowserContext;
  let userDataDir: string;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    srv = await startTestServer();
    userDataDir = mkdtempSync(path.join(tmpdir(), "switchboard-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: findChromium(),
      headless: true,
      args: CHROMIUM_ARGS,
      ignoreHTTPSErrors: true,
      viewport: { width: 900, height: 1100 },
    });
  });
  afterAll(async () => {
    await context?.close();
    await srv?.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });

  async function openDemo(token: string, identity: string, name: string): Promise<Page> {
    const page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(`${name}: ${err.message}`));
    page.on("console", (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(`${name}: ${msg.text()}`);
    });
    const response = await page.goto(`${srv.httpsUrl}/chat/demo`);
    expect(response!.headers()["content-security-policy"]).toContain("script-src 'self'");
    await page.getByLabel("User access token (scope chat)").fill(token);
    await page.getByLabel("Display name").fill(name);
    await page.getByRole("button", { name: "Connect" }).click();
    await page.waitForFunction((id) => document.getElementById("me").textContent.includes(id), identity);
    return page;
  }

  it("a message sent in tab A appears in tab B without a reload, and B's answer in A; typing shows live", async () => {
    const alice = await identityWithToken(srv, ["chat"]);
    const bob = await identityWithToken(srv, ["chat"]);
    const pageA = await openDemo(alice.token, alice.id, "Alice");
    const pageB = await openDemo(bob.token, bob.id, "Bob");
    const navigations = { a: 0, b: 0 };
    pageA.on("framenavigated", () => navigations.a++);
    pageB.on("framenavigated", () => navigations.b++);

    // A starts a thread with B; B's tab hears of it over its socket (chatThreadCreated) and offers the thread id.
    await pageA.getByLabel("Start a thread with (identities, comma-separated)").fill(bob.id);
    await pageA.getByRole("button", { name: "Create thread" }).click();
    await pageA.waitForFunction(() => document.getElementById("joined").textContent.startsWith("in thread "));
    const threadId = await pageA.inputValue("#thread");
    expect(threadId).toMatch(/^19:/);
    await pageB.waitForFunction((id) => document.getElementById("thread").value === id, threadId);
    await pageB.getByRole("button", { name: "Join thread" }).click();
    await pageB.waitForFunction(() => document.getElementById("joined").textContent.startsWith("in thread "));

    // A → B.
    await pageA.getByRole("textbox", { name: "Message", exact: true }).pressSequentially("Hello Bob");
    await pageB.waitForFunction(() => document.getElementById("typing").textContent === "Alice is typing…");
    await pageA.getByRole("button", { name: "Send" }).click();
    await pageB.waitForFunction(() => document.querySelectorAll("#messages li").length === 1);
    expect(await shownMessages(pageB)).toEqual(["Alice: Hello Bob"]);
    expect(await pageB.textContent("#typing")).toBe("");

    // B → A.
    await pageB.getByRole("textbox", { name: "Message", exact: true }).fill("Hi Alice, got it");
    await pageB.getByRole("textbox", { name: "Message", exact: true }).press("Enter");
    await pageA.waitForFunction(() => document.querySelectorAll("#messages li").length === 2);
    expect(await shownMessages(pageA)).toEqual(["Alice: Hello Bob", "Bob: Hi Alice, got it"]);
    await pageB.waitForFunction(() => document.querySelectorAll("#messages li").length === 2);
    expect(await shownMessages(pageB)).toEqual(["Alice: Hello Bob", "Bob: Hi Alice, got it"]);
    expect(await pageA.getAttribute("#messages li:first-child", "class")).toBe("mine");
    expect(await pageB.getAttribute("#messages li:last-child", "class")).toBe("mine");

    // One more from A: still live, no page loaded again in either tab.
    await pageA.getByRole("textbox", { name: "Message", exact: true }).fill("See you");
    await pageA.getByRole("textbox", { name: "Message", exact: true }).press("Enter");
    await pageB.waitForFunction(() => document.querySelectorAll("#messages li").length === 3);
    expect((await shownMessages(pageB))[2]).toBe("Alice: See you");
    expect(navigations).toEqual({ a: 0, b: 0 });

    // The messages are the thread's, as the Chat REST API lists them to B.
    const thread = new ChatClient(srv.httpsUrl, new AzureCommunicationTokenCredential(bob.token)).getChatThreadClient(threadId);
    const texts: string[] = [];
    for await (const m of thread.listMessages()) if (m.type === "text") texts.unshift(m.content!.message!);
    expect(texts).toEqual(["Hello Bob", "Hi Alice, got it", "See you"]);

    const shot = process.env.SWITCHBOARD_SCREENSHOT_DIR;
    if (shot !== undefined && shot !== "") {
      await pageB.fill("#token", ""); // a picture for docs/ shows no token
      await pageB.screenshot({ path: path.join(shot, "chat-demo.png"), fullPage: true });
    }
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
