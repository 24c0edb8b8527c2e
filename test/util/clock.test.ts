import { describe, expect, it } from "vitest";
import { createFixedClock, systemClock } from "../../src/util/clock.js";

describe("the injected clock's timers", () => {
  it("a fixed clock runs a timer only when time is moved past it, in due order, and not after cancel", () => {
    const clock = createFixedClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("b@300"), 300);
    clock.setTimeout(() => fired.push("a@100"), 100);
    const cancelled = clock.setTimeout(() => fired.push("never"), 200);
    clock.setTimeout(() => fired.push("c@300"), 300);
    expect(clock.pending).toBe(4);
    cancelled.cancel();
    cancelled.cancel();
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(["a@100"]);
    clock.advance(1_000);
    expect(fired).toEqual(["a@100", "b@300", "c@300"]);
    expect(clock.pending).toBe(0);
    expect(clock.now()).toBe(2_100);
  });

  it("a timer set by a firing timer counts from its due time and runs in the same advance when due by then", () => {
    const clock = createFixedClock(0);
    const fired: number[] = [];
    const every = (ms: number) => clock.setTimeout(() => (fired.push(clock.now()), every(ms)), ms);
    every(10);
    clock.advance(35);
    expect(fired).toEqual([10, 20, 30]);
    expect(clock.now()).toBe(35);
    expect(clock.pending).toBe(1);
    clock.set(100);
    expect(fired).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    clock.set(0);
    expect(fired).toHaveLength(10);
    expect(clock.now()).toBe(0);
  });

  it("the system clock's timers run in real time and can be cancelled", async () => {
    const fired: string[] = [];
    const cancelled = systemClock.setTimeout(() => fired.push("cancelled"), 1);
    cancelled.cancel();
    await new Promise<void>((resolve) => systemClock.setTimeout(() => (fired.push("ran"), resolve()), 5));
    expect(fired).toEqual(["ran"]);
  });
});
