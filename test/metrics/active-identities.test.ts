import { describe, expect, it } from "vitest";
import { ActiveIdentities, identityHash } from "../../src/telemetry/active-identities.js";

const id = (n: number) => `8:acs:e8b3b5d0-0000-4000-8000-000000000001_01a2b3c4-0000-7000-8000-${String(n).padStart(12, "0")}`;

describe("the active-identities window", () => {
  it("counts distinct identities within the window and drops the ones last seen before it", () => {
    let now = 1_000_000;
    const active = new ActiveIdentities(60_000, () => now);
    active.touch(id(1));
    active.touch(id(2));
    active.touch(id(1));
    expect(active.count()).toBe(2);
    now += 30_000;
    active.touch(id(3));
    // A touch moves an identity to the end: id(1), seen again now, outlives id(2).
    active.touch(id(1));
    expect(active.count()).toBe(3);
    now += 31_000; // id(2) was last seen 61 s ago
    expect(active.count()).toBe(2);
    now += 29_500; // id(1) and id(3) were last seen 60.5 s ago: their second still overlaps the window
    expect(active.count()).toBe(2);
    now += 1_000; // 61.5 s ago
    expect(active.count()).toBe(0);
  });

  it("keeps at most `limit` identities: when full, those of the oldest seconds go until at most 95 % remain", () => {
    let now = 0;
    const active = new ActiveIdentities(300_000, () => now, 1_000);
    for (let i = 0; i < 1_500; i++) {
      active.touch(id(i));
      if (i % 100 === 0) now += 1_000;
    }
    // Identity i was touched in second ceil(i / 100). The 1,001st (i = 1000) found the table full: seconds 0 and 1
    // went (1 + 100 identities, down to 899); every 100 after it, the next second went. The last eviction (at
    // i = 1401) dropped second 5: 501…1499 remain.
    expect(active.count()).toBe(999);
    now = 311_000; // the window starts in second 11: identities 1001…1499 remain
    expect(active.count()).toBe(499);
    now = 316_000;
    expect(active.count()).toBe(0);
  });

  it("counts exactly what a plain map of last-seen seconds counts, through touches, expiries and evictions", () => {
    // A seeded generator: the same sequence on every run.
    let seed = 42;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    let now = 5_000;
    const limit = 500;
    const active = new ActiveIdentities(20_000, () => now, limit);
    const model = new Map<string, number>(); // id → last second seen
    const second = () => Math.floor((now - 5_000) / 1000);
    for (let step = 0; step < 20_000; step++) {
      const roll = random();
      if (roll < 0.9) {
        const who = id(Math.floor(random() * 900));
        active.touch(who);
        if (!model.has(who) && model.size >= limit) {
          // Full: the oldest seconds go until at most 95 % of the limit remain.
          while (model.size > limit * 0.95) {
            const min = Math.min(...model.values());
            for (const [k, v] of model) if (v === min) model.delete(k);
          }
        }
        model.set(who, second());
      } else if (roll < 0.97) {
        now += Math.floor(random() * 1_500);
      } else {
        const cutoff = Math.floor((now - 5_000 - 20_000) / 1000);
        for (const [k, v] of model) if (v < cutoff) model.delete(k);
        expect(active.count()).toBe(model.size);
      }
    }
    expect(model.size).toBeGreaterThan(0);
  });

  it("hashes ids to distinct 52-bit numbers (no collision among 200,000 ids of one resource)", () => {
    const hashes = new Set<number>();
    let unsafe = 0;
    for (let i = 0; i < 200_000; i++) {
      const h = identityHash(id(i));
      if (!Number.isSafeInteger(h) || h < 0) unsafe++;
      hashes.add(h);
    }
    expect(unsafe).toBe(0);
    expect(hashes.size).toBe(200_000);
    expect(identityHash(id(7))).toBe(identityHash(id(7)));
  });
});
