import { describe, expect, it } from "vitest";
import { TrustedProxies } from "../../src/security/transport.js";

describe("TrustedProxies", () => {
  it("trusts exactly the configured addresses and ranges, IPv4-mapped IPv6 included, however often it is asked", () => {
    const proxies = new TrustedProxies(["127.0.0.1", "10.1.0.0/16", "fd00::/8"]);
    const expected = (a: string) => a === "127.0.0.1" || a === "::ffff:127.0.0.1" || /^(::ffff:)?10\.1\./.test(a) || a.startsWith("fd00:");
    // More distinct addresses than it remembers answers for, each asked three times, trusted ones among them.
    const addresses = Array.from({ length: 3000 }, (_, i) => {
      const n = i % 6;
      if (n === 0) return `10.1.${(i >> 8) & 255}.${i & 255}`;
      if (n === 1) return `10.2.${(i >> 8) & 255}.${i & 255}`;
      if (n === 2) return `::ffff:10.1.0.${i & 255}`;
      if (n === 3) return `fd00::${i.toString(16)}`;
      if (n === 4) return `fe80::${i.toString(16)}`;
      return `192.0.2.${i & 255}`;
    });
    for (let round = 0; round < 3; round++) {
      for (const a of [...addresses, "127.0.0.1", "::ffff:127.0.0.1", "127.0.0.2"]) expect(proxies.has(a), a).toBe(expected(a));
    }
    expect(proxies.has(undefined)).toBe(false);
    expect(proxies.has("not an address")).toBe(false);
    expect(new TrustedProxies([]).has("127.0.0.1")).toBe(false);
  });
});
