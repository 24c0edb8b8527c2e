import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import type { TestServer } from "../support/test-server.js";
import { expectAcsError, rawRequest, startServer } from "./support.js";

/**
 * Flaw 9: /metrics without a token is open to local clients only, decided by the connection's real peer: behind a
 * configured proxy, the client it names; a loopback peer that forwards for someone else is refused.
 */
describe.each(backendNames)("/metrics exposure (%s)", (backend) => {
  let direct: TestServer;
  let proxied: TestServer;
  beforeAll(async () => {
    [direct, proxied] = await Promise.all([startServer(backend), startServer(backend, { config: { trustedProxies: ["127.0.0.1"] } })]);
  });
  afterAll(async () => {
    await Promise.all([direct?.close(), proxied?.close()]);
  });

  it("a local scraper gets it; a request forwarded by an unconfigured proxy on loopback does not", async () => {
    expect((await rawRequest(`${direct.httpUrl}/metrics`)).status).toBe(200);
    for (const header of ["x-forwarded-for", "forwarded", "x-real-ip"]) {
      const value = header === "forwarded" ? "for=203.0.113.5" : "203.0.113.5";
      expectAcsError(await rawRequest(`${direct.httpUrl}/metrics`, { headers: { [header]: value } }), 403, "MetricsNotExposed");
    }
  });

  it("behind a configured proxy, the client it names decides; a client's own X-Forwarded-For is not believed", async () => {
    expectAcsError(await rawRequest(`${proxied.httpUrl}/metrics`, { headers: { "x-forwarded-for": "203.0.113.5" } }), 403, "MetricsNotExposed");
    // nginx appends the real client to what the client sent: the right-most non-proxy entry is the client.
    expectAcsError(
      await rawRequest(`${proxied.httpUrl}/metrics`, { headers: { "x-forwarded-for": "127.0.0.1, 203.0.113.5" } }),
      403,
      "MetricsNotExposed",
    );
    // A client on this machine (::1) that the proxy names is local.
    expect((await rawRequest(`${proxied.httpUrl}/metrics`, { headers: { "x-forwarded-for": "::1" } })).status).toBe(200);
    // The proxy forwarded without naming a client: unknown, not local.
    expectAcsError(await rawRequest(`${proxied.httpUrl}/metrics`), 403, "MetricsNotExposed");
  });
});

describe("deploy/ does not expose /metrics", () => {
  it("nginx answers /metrics itself and the replicas trust only the local proxy", () => {
    const conf = readFileSync(new URL("../../deploy/nginx.conf.template", import.meta.url), "utf8");
    const metricsBlock = /location = \/metrics \{\s*return 404;\s*\}/.exec(conf);
    expect(metricsBlock).not.toBeNull();
    // It comes before the catch-all location (nginx picks exact matches first anyway; keep it readable).
    expect(conf.indexOf("location = /metrics")).toBeLessThan(conf.indexOf("location / {"));
    const script = readFileSync(new URL("../../deploy/start-replicas.sh", import.meta.url), "utf8");
    expect(script).toMatch(/SWITCHBOARD_TRUSTED_PROXIES="\$\{SWITCHBOARD_TRUSTED_PROXIES:-127\.0\.0\.1\}"/);
  });
});
