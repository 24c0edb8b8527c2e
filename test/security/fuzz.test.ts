import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import type { TestServer } from "../support/test-server.js";
import { fuzz, prepareTargets, type FuzzReport, type FuzzTargets } from "./fuzz/fuzzer.js";
import { rawRequest, startServer } from "./support.js";

/**
 * The bounded fuzzer. Inside `npm test` a short run (600 requests per backend); `npm run fuzz` runs
 * SWITCHBOARD_FUZZ_REQUESTS in total (default 100,000), split over the backends. Every run asserts: no 5xx, no
 * request left hanging, the server alive and answering afterwards; the RSS is reported.
 */
const total = Number(process.env.SWITCHBOARD_FUZZ_REQUESTS ?? 600 * backendNames.length);
const perBackend = Math.ceil(total / backendNames.length);
const long = perBackend > 5_000;
const seed = Number(process.env.SWITCHBOARD_FUZZ_SEED ?? 20261206);

describe.each(backendNames)("fuzzer (%s)", (backend) => {
  let srv: TestServer;
  let targets: FuzzTargets;
  beforeAll(async () => {
    srv = await startServer(backend, { config: { log: { level: "warn" }, guessing: { freeFailuresPerSource: 100_000, freeFailuresPerClient: 10_000 } } });
    targets = await prepareTargets(srv);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it(
    `${perBackend} mutated requests over every route, both listeners and the WebSocket: no 5xx, no hang, no crash`,
    async () => {
      const report: FuzzReport = await fuzz(srv, targets, {
        requests: perBackend,
        seed: seed + (backend === "postgres" ? 1 : 0),
        concurrency: 8,
        timeoutMs: 15_000,
        webSocketSessions: Math.min(200, Math.ceil(perBackend / 50)),
      });
      process.stdout.write(`fuzz ${backend}: ${JSON.stringify({ ...report, fiveXx: report.fiveXx.slice(0, 20), hangs: report.hangs.slice(0, 20) })}\n`);
      expect(report.requests).toBe(perBackend);
      expect(report.fiveXx).toEqual([]);
      expect(report.hangs).toEqual([]);
      expect(report.webSocketUnexpectedCloses).toEqual([]);
      // Most requests must have been answered (transport errors are connections the server closed on purpose).
      expect(report.transportErrors).toBeLessThan(perBackend * 0.05);
      // Still alive and ready.
      expect((await rawRequest(`${srv.httpsUrl}/health/ready`)).status).toBe(200);
      expect((await rawRequest(`${srv.httpUrl}/health/ready`)).status).toBe(200);
    },
    long ? 3_600_000 : 120_000,
  );
});
