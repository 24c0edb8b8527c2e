import http from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebhookDispatcher } from "../../src/sms/delivery-report-dispatcher.js";
import { createFixedClock } from "../../src/util/clock.js";

/** Lets requests already on the wire finish (no clock time passes). */
const settle = () => new Promise((r) => setTimeout(r, 50));

/** Waits (real time, bounded) until `check` holds: a delivery's answer is handled asynchronously. */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met within 5 s");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("webhook retries back off on the injected clock", () => {
  let server: http.Server;
  let url: string;
  const received: number[] = [];
  let failuresLeft = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        received.push(clock.now());
        res.statusCode = failuresLeft-- > 0 ? 503 : 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const clock = createFixedClock(0);

  it("posts at once, then after backoffMs, 2·backoffMs … of clock time, and gives up after maxAttempts", async () => {
    const dispatcher = new WebhookDispatcher({ maxAttempts: 4, backoffMs: 1_000, clock, log: pino({ level: "silent" }) });
    failuresLeft = 10;
    dispatcher.enqueue(url, [{ n: 1 }]);
    // Each failed attempt arms one retry; time is moved only once it is armed.
    await until(() => received.length === 1 && clock.pending === 1);
    expect(received).toEqual([0]);
    clock.advance(999);
    await settle();
    expect(received).toEqual([0]);
    clock.advance(1);
    await until(() => received.length === 2 && clock.pending === 1);
    clock.advance(1_999);
    await settle();
    expect(received).toEqual([0, 1_000]);
    clock.advance(1);
    await until(() => received.length === 3 && clock.pending === 1);
    clock.advance(4_000);
    await until(() => received.length === 4);
    expect(received).toEqual([0, 1_000, 3_000, 7_000]);
    // The fourth attempt was the last: nothing more is armed, however long we wait.
    await settle();
    expect(clock.pending).toBe(0);
    clock.advance(60_000);
    await settle();
    expect(received).toHaveLength(4);
    await dispatcher.close();
  });

  it("a 2xx ends the retries, and close() cancels a pending one", async () => {
    received.length = 0;
    clock.set(100_000);
    const dispatcher = new WebhookDispatcher({ maxAttempts: 5, backoffMs: 10, clock, log: pino({ level: "silent" }) });
    failuresLeft = 1;
    dispatcher.enqueue(url, [{ n: 2 }]);
    await until(() => received.length === 1 && clock.pending === 1);
    clock.advance(10);
    await until(() => received.length === 2);
    expect(received).toEqual([100_000, 100_010]);
    await settle();
    expect(clock.pending).toBe(0);

    failuresLeft = 1;
    dispatcher.enqueue(url, [{ n: 3 }]);
    await until(() => received.length === 3 && clock.pending === 1);
    await dispatcher.close();
    expect(clock.pending).toBe(0);
    clock.advance(1_000);
    await settle();
    expect(received).toHaveLength(3);
  });
});
