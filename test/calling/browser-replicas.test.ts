import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames, freshPostgresUrl } from "../support/backends.js";
import { findChromium } from "../support/chromium.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { identityWithToken } from "../support/signaling-client.js";

// page.evaluate callbacks run in the browser; the project's TypeScript config has no DOM library.
declare const window: any;
declare const document: any;

const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

/** Inbound RTP bytes and decoded video frames from `identity`'s peer connection. */
function inbound(page: Page, identity: string): Promise<{ state: string; bytes: number; frames: number }> {
  return page.evaluate(async (id) => {
    const pc = (window as any).demo.call.peers.get(id);
    let bytes = 0;
    let frames = 0;
    (await pc.getStats()).forEach((r: any) => {
      if (r.type !== "inbound-rtp") return;
      bytes += r.bytesReceived ?? 0;
      if (r.kind === "video") frames += r.framesDecoded ?? 0;
    });
    return { state: pc.connectionState as string, bytes, frames };
  }, identity);
}

async function growing(page: Page, identity: string): Promise<{ before: { bytes: number; frames: number }; after: { bytes: number; frames: number } }> {
  const before = await inbound(page, identity);
  const deadline = Date.now() + 20_000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 200));
    const after = await inbound(page, identity);
    if ((after.bytes > before.bytes && after.frames > before.frames) || Date.now() > deadline) return { before, after };
  }
}

/** Two replicas on one PostgreSQL database, one browser tab on each: the call connects with media both ways. */
describe.each(backendNames.filter((b) => b === "postgres"))("browser call across two replicas (%s, headless Chromium)", (backend) => {
  let r1: TestServer;
  let r2: TestServer;
  let context: BrowserContext;
  let userDataDir: string;

  beforeAll(async () => {
    const databaseUrl = await freshPostgresUrl();
    r1 = await startTestServer({ backend, config: { databaseUrl } });
    r2 = await startTestServer({ backend, config: { databaseUrl } });
    userDataDir = mkdtempSync(path.join(tmpdir(), "switchboard-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS, ignoreHTTPSErrors: true });
  });
  afterAll(async () => {
    await context?.close();
    await r2?.close();
    await r1?.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });

  async function demoPage(srv: TestServer, token: string, identity: string): Promise<Page> {
    const page = await context.newPage();
    page.on("pageerror", (err) => console.error(`[page ${identity.slice(-6)}] ${err.message}`));
    await page.goto(`${srv.httpsUrl}/calling/demo`);
    await page.fill("#token", token);
    await page.click("#connect");
    await page.waitForFunction((id) => document.getElementById("me").textContent.includes(id), identity);
    return page;
  }

  it("a tab on replica 1 calls a tab on replica 2: connected, media flows both ways, hang-up ends both", async () => {
    const a = await identityWithToken(r1, ["voip"]);
    const b = await identityWithToken(r1, ["voip"]);
    const pageA = await demoPage(r1, a.token, a.id);
    const pageB = await demoPage(r2, b.token, b.id);
    try {
      await pageA.fill("#callees", b.id);
      await pageA.click("#call");
      await pageB.waitForSelector("#accept:not([disabled])");
      await pageB.click("#accept");
      for (const [page, other] of [[pageA, b.id], [pageB, a.id]] as const) {
        await page.waitForFunction((id) => (window as any).demo.call?.peers.get(id)?.connectionState === "connected", other, { timeout: 20_000, polling: 100 });
      }
      const atA = await growing(pageA, b.id);
      const atB = await growing(pageB, a.id);
      console.log(`[realtime] cross-replica browser call: A<-B bytes ${atA.before.bytes}->${atA.after.bytes} frames ${atA.before.frames}->${atA.after.frames}; B<-A bytes ${atB.before.bytes}->${atB.after.bytes}`);
      expect(atA.after.bytes).toBeGreaterThan(atA.before.bytes);
      expect(atA.after.frames).toBeGreaterThan(atA.before.frames);
      expect(atB.after.bytes).toBeGreaterThan(atB.before.bytes);
      expect(atB.after.frames).toBeGreaterThan(atB.before.frames);

      await pageB.click("#hangup");
      await pageA.waitForFunction(() => (window as any).demo.call.state === "ended");
      expect(await pageB.evaluate(() => (window as any).demo.call.state)).toBe("ended");
    } finally {
      await pageA.close();
      await pageB.close();
    }
  }, 90_000);
});
