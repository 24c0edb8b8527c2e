import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findChromium } from "../support/chromium.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { eventually, identityWithToken } from "../support/signaling-client.js";

// page.evaluate callbacks run in the browser; the project's TypeScript config has no DOM library.
declare const window: any;
declare const document: any;

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

interface PeerStats {
  state: string;
  bytes: number;
  frames: number;
}

/** Per remote identity: the peer connection's state, inbound RTP bytes (all kinds) and decoded video frames. */
function peerStats(page: Page, handle = "window.demo.call"): Promise<Record<string, PeerStats>> {
  return page.evaluate(async (expr) => {
    const call = (0, eval)(expr);
    const out: Record<string, { state: string; bytes: number; frames: number }> = {};
    for (const [identity, pc] of call.peers as Map<string, any>) {
      let bytes = 0;
      let frames = 0;
      (await pc.getStats()).forEach((r: any) => {
        if (r.type !== "inbound-rtp") return;
        bytes += r.bytesReceived ?? 0;
        if (r.kind === "video") frames += r.framesDecoded ?? 0;
      });
      out[identity] = { state: pc.connectionState, bytes, frames };
    }
    return out;
  }, handle);
}

/**
 * Waits until, for every remote peer in `before`, inbound RTP bytes (and decoded video frames when `video`) have
 * grown past `before`: media is flowing. getStats() is asynchronous and waitForFunction's predicate is not, so each
 * poll starts one stats read and the next poll judges its result.
 */
async function waitForMediaGrowth(page: Page, before: Record<string, PeerStats>, video: boolean, handle = "window.demo.call"): Promise<void> {
  await page.waitForFunction(
    ({ expr, before, video }) => {
      const w = window as any;
      const probe = (w.__mediaProbe ??= { busy: false, latest: undefined as Record<string, { bytes: number; frames: number }> | undefined });
      if (!probe.busy) {
        probe.busy = true;
        const call = (0, eval)(expr);
        void Promise.all(
          [...(call.peers as Map<string, any>)].map(async ([identity, pc]) => {
            let bytes = 0;
            let frames = 0;
            (await pc.getStats()).forEach((r: any) => {
              if (r.type !== "inbound-rtp") return;
              bytes += r.bytesReceived ?? 0;
              if (r.kind === "video") frames += r.framesDecoded ?? 0;
            });
            return [identity, { bytes, frames }] as const;
          }),
        ).then((rows) => {
          probe.latest = Object.fromEntries(rows);
          probe.busy = false;
        });
      }
      const latest = probe.latest;
      if (latest === undefined) return false;
      return Object.entries(before).every(([id, b]) => {
        const now = latest[id];
        return now !== undefined && now.bytes > b.bytes && (!video || now.frames > b.frames);
      });
    },
    { expr: handle, before, video },
    { timeout: 20_000, polling: 100 },
  );
  await page.evaluate(() => delete (window as any).__mediaProbe);
}

async function waitForPeers(page: Page, expected: string[], handle = "window.demo.call"): Promise<void> {
  await page.waitForFunction(
    ({ expr, ids }) => {
      const call = (0, eval)(expr);
      return call !== undefined && ids.every((id: string) => call.peers.get(id)?.connectionState === "connected");
    },
    { expr: handle, ids: expected },
    { timeout: 20_000, polling: 100 },
  );
}

// One backend: the browser tests are about media and the client; signaling itself runs on both backends in
// signaling.test.ts and calling-features.test.ts.
describe("browser calls in headless Chromium", () => {
  let srv: TestServer;
  let context: BrowserContext;
  let userDataDir: string;

  beforeAll(async () => {
    srv = await startTestServer();
    userDataDir = mkdtempSync(path.join(tmpdir(), "switchboard-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: findChromium(),
      headless: true,
      args: CHROMIUM_ARGS,
      ignoreHTTPSErrors: true,
    });
  });
  afterAll(async () => {
    await context?.close();
    await srv?.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });

  async function demoPage(token: string, identity: string): Promise<Page> {
    const page = await context.newPage();
    page.on("pageerror", (err) => console.error(`[page ${identity.slice(-6)}] ${err.message}`));
    await page.goto(`${srv.httpsUrl}/calling/demo`);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
    await page.fill("#token", token);
    await page.click("#connect");
    await page.waitForFunction((id) => document.getElementById("me").textContent.includes(id), identity);
    return page;
  }

  it("two tabs of the demo page call each other: connected, media flows both ways, hang-up ends both, record has both", async () => {
    const startedAt = Date.now();
    const a = await identityWithToken(srv, ["voip"]);
    const b = await identityWithToken(srv, ["voip"]);
    const pageA = await demoPage(a.token, a.id);
    const pageB = await demoPage(b.token, b.id);
    try {
      await pageA.fill("#callees", b.id);
      await pageA.click("#call");
      await pageB.waitForSelector("#accept:not([disabled])");
      await pageB.click("#accept");

      await waitForPeers(pageA, [b.id]);
      await waitForPeers(pageB, [a.id]);
      const connectedAt = Date.now();
      expect(await pageA.evaluate(() => (window as any).demo.call.state)).toBe("connected");
      expect(await pageB.evaluate(() => (window as any).demo.call.state)).toBe("connected");

      const beforeA = await peerStats(pageA);
      const beforeB = await peerStats(pageB);
      await waitForMediaGrowth(pageA, beforeA, true);
      await waitForMediaGrowth(pageB, beforeB, true);
      const afterA = await peerStats(pageA);
      const afterB = await peerStats(pageB);
      console.log(`[calling] 1:1 A<-B bytes ${beforeA[b.id]!.bytes}->${afterA[b.id]!.bytes} frames ${beforeA[b.id]!.frames}->${afterA[b.id]!.frames}; B<-A bytes ${beforeB[a.id]!.bytes}->${afterB[a.id]!.bytes} frames ${beforeB[a.id]!.frames}->${afterB[a.id]!.frames}`);
      expect(afterA[b.id]!.bytes).toBeGreaterThan(beforeA[b.id]!.bytes);
      expect(afterB[a.id]!.bytes).toBeGreaterThan(beforeB[a.id]!.bytes);
      expect(afterA[b.id]!.frames).toBeGreaterThan(beforeA[b.id]!.frames);
      expect(afterB[a.id]!.frames).toBeGreaterThan(beforeB[a.id]!.frames);
      const remoteTracks = await pageB.evaluate((id) => (window as any).demo.call.remoteStreams.get(id).getTracks().map((t: any) => t.kind).sort(), a.id);
      expect(remoteTracks).toEqual(["audio", "video"]);

      const callId = await pageA.evaluate(() => (window as any).demo.call.id as string);
      const hangUpAt = Date.now();
      await pageA.click("#hangup");
      await pageB.waitForFunction(() => (window as any).demo.call.state === "ended");
      expect(await pageA.evaluate(() => (window as any).demo.call.state)).toBe("ended");
      expect(await pageB.textContent("#state")).toBe("ended (hangUp)");

      const record = await eventually(async () => {
        const r = await srv.server.calling.repository.get(callId);
        return r?.endedAt != null ? r : undefined;
      });
      expect(record).toMatchObject({ caller: a.id, video: true, endReason: "hangUp" });
      // The call lasted at least from both peers connected to the hang-up click, and no longer than the test ran.
      expect(record.durationMs).toBeGreaterThanOrEqual(hangUpAt - connectedAt);
      expect(record.durationMs).toBeLessThanOrEqual(Date.now() - startedAt);
      expect(record.participants.map((p) => [p.identity, p.role, p.outcome, p.leaveReason])).toEqual([
        [a.id, "caller", "joined", "hangUp"],
        [b.id, "invitee", "joined", "callEnded"],
      ]);
      for (const p of record.participants) expect(p.leftAt! - p.joinedAt!).toBeGreaterThanOrEqual(hangUpAt - connectedAt);
    } finally {
      await pageA.close();
      await pageB.close();
    }
  }, 90_000);

  it("the client's tokenRefresher renews a short-lived token before it expires and the socket stays open", async () => {
    const core = srv.server.core;
    const a = await identityWithToken(srv, ["voip"]);
    const page = await context.newPage();
    try {
      await page.goto(`${srv.httpsUrl}/calling/demo`);
      await page.evaluate(`import("/calling/client.js")`);
      const nowSec = Math.floor(Date.now() / 1000);
      const shortLived = await core.userTokens.issue({ identity: a.id, resourceId: srv.resource.id, scopes: ["voip"], lifetimeMinutes: 60, generation: 0, notAfter: nowSec + 3 });
      const fresh = await core.identities.issueToken(srv.currentResource(), { kind: "operator", name: "test" }, a.id, ["voip"], 60);
      const result = await page.evaluate(`(async () => {
        const { createCallClient } = await import("/calling/client.js");
        let calls = 0;
        const client = createCallClient({ tokenRefresher: async (signal) => { calls++; return ${JSON.stringify(fresh.token)}; } });
        const disconnects = [];
        client.on("disconnected", (e) => disconnects.push(e));
        const refreshed = new Promise((resolve) => client.on("tokenRefreshed", resolve));
        const connected = await client.connect(${JSON.stringify(shortLived.token)});
        const renewal = await refreshed;
        // Past the first token's expiry: the server re-armed its expiry timer with the new token.
        await new Promise((r) => setTimeout(r, ${(nowSec + 4) * 1000} - Date.now()));
        return { connected, renewal, calls, disconnects, identity: client.identity };
      })()`);
      expect(result).toEqual({
        connected: { identity: a.id, expiresOn: new Date((nowSec + 3) * 1000).toISOString() },
        renewal: { expiresOn: fresh.expiresOn },
        calls: 1,
        disconnects: [],
        identity: a.id,
      });
    } finally {
      await page.close();
    }
  }, 90_000);

  it("three parties with a late joiner connect on every pair, and the call goes on when one leaves", async () => {
    const ids = await Promise.all([0, 1, 2].map(() => identityWithToken(srv, ["voip"])));
    const [a, b, c] = ids as [(typeof ids)[0], (typeof ids)[0], (typeof ids)[0]];
    const pages = await Promise.all(
      ids.map(async (who) => {
        const page = await context.newPage();
        page.on("pageerror", (err) => console.error(`[page] ${err.message}`));
        await page.goto(`${srv.httpsUrl}/calling/demo`);
        // A string, so that the test runner's transform leaves the browser's dynamic import alone.
        await page.evaluate(`(async () => {
          const { createCallClient } = await import("/calling/client.js");
          const client = createCallClient();
          window.t = { client, call: undefined };
          client.on("incomingCall", async (incoming) => { window.t.call = await incoming.accept({ video: false }); });
          await client.connect(${JSON.stringify(who.token)});
        })()`);
        return page;
      }),
    );
    const [pageA, pageB, pageC] = pages as [Page, Page, Page];
    try {
      await pageA.evaluate(async (callee) => {
        (window as any).t.call = await (window as any).t.client.startCall([callee], { video: false });
      }, b.id);
      await waitForPeers(pageA, [b.id], "window.t.call");
      await waitForPeers(pageB, [a.id], "window.t.call");

      // C is invited while A and B are already talking, joins late and offers to both.
      await pageA.evaluate((late) => (window as any).t.call.invite([late]), c.id);
      await waitForPeers(pageC, [a.id, b.id], "window.t.call");
      await waitForPeers(pageA, [b.id, c.id], "window.t.call");
      await waitForPeers(pageB, [a.id, c.id], "window.t.call");

      const before = await Promise.all(pages.map((p) => peerStats(p, "window.t.call")));
      await Promise.all(pages.map((p, i) => waitForMediaGrowth(p, before[i]!, false, "window.t.call")));
      const after = await Promise.all(pages.map((p) => peerStats(p, "window.t.call")));
      for (let i = 0; i < 3; i++) {
        const others = ids.filter((_, j) => j !== i).map((x) => x.id);
        expect(Object.keys(after[i]!).sort()).toEqual([...others].sort());
        for (const other of others) {
          expect(after[i]![other]!.state).toBe("connected");
          expect(after[i]![other]!.bytes).toBeGreaterThan(before[i]![other]!.bytes);
        }
      }

      const callId = await pageA.evaluate(() => (window as any).t.call.id as string);
      await pageC.evaluate(() => (window as any).t.client.hangUp());
      await pageA.waitForFunction((id) => !(window as any).t.call.peers.has(id), c.id);
      expect(await pageB.evaluate(() => (window as any).t.call.state)).toBe("connected");
      await pageB.evaluate(() => (window as any).t.client.hangUp());
      await pageA.waitForFunction(() => (window as any).t.call.state === "ended");

      const record = await eventually(async () => {
        const r = await srv.server.calling.repository.get(callId);
        return r?.endedAt != null ? r : undefined;
      });
      expect(record.participants.map((p) => [p.identity, p.outcome, p.leaveReason])).toEqual([
        [a.id, "joined", "callEnded"],
        [b.id, "joined", "hangUp"],
        [c.id, "joined", "hangUp"],
      ]);
      for (const p of record.participants) expect(p.leftAt! - p.joinedAt!).toBeGreaterThan(0);
    } finally {
      await Promise.all(pages.map((p) => p.close()));
    }
  }, 90_000);
});
