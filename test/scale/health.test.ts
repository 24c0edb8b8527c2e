import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReadinessProbe } from "../../src/store/readiness.js";
import type { Store } from "../../src/store/store.js";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

describe.each(backendNames)("health endpoints on %s", (backend) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ backend });
  });
  afterAll(async () => {
    await srv.close();
  });

  it("answers liveness and readiness without credentials or api-version", async () => {
    const live = await fetch(`${srv.httpUrl}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "live" });
    const ready = await fetch(`${srv.httpsUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get("cache-control")).toBe("no-store");
    expect(await ready.json()).toEqual({ status: "ready", database: "reachable" });
  });
});

describe("ReadinessProbe", () => {
  function fakeStore(answer: () => Promise<boolean>): Store & { pings: number } {
    const store = {
      pings: 0,
      ping(timeoutMs: number) {
        store.pings++;
        return Promise.race([answer(), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs))]);
      },
    };
    return store as unknown as Store & { pings: number };
  }

  it("asks the database at most once per second and shares one round trip among concurrent probes", async () => {
    let now = 0;
    const store = fakeStore(async () => true);
    const probe = new ReadinessProbe(store, () => now);
    expect(await Promise.all([probe.ready(), probe.ready(), probe.ready()])).toEqual([true, true, true]);
    expect(store.pings).toBe(1);
    now += 999;
    expect(await probe.ready()).toBe(true);
    expect(store.pings).toBe(1);
    now += 1;
    expect(await probe.ready()).toBe(true);
    expect(store.pings).toBe(2);
  });

  it("is not ready when the round trip fails or exceeds the timeout", async () => {
    let now = 0;
    let mode: "hang" | "fail" | "ok" = "hang";
    const store = fakeStore(() => (mode === "hang" ? new Promise<boolean>(() => {}) : Promise.resolve(mode === "ok")));
    const probe = new ReadinessProbe(store, () => now, { timeoutMs: 50 });
    expect(await probe.ready()).toBe(false);
    mode = "fail";
    now += 1_000;
    expect(await probe.ready()).toBe(false);
    mode = "ok";
    now += 1_000;
    expect(await probe.ready()).toBe(true);
  });
});
