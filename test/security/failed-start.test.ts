import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import pino from "pino";
import { createSwitchboard } from "../../src/app.js";
import { loadConfig, type ConfigInput } from "../../src/config/config.js";
import { backendConfig, backendNames } from "../support/backends.js";

/** Handles and timers that keep a process alive, by kind. */
function liveResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

function growth(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of after) if (n > (before.get(k) ?? 0)) out[k] = n - (before.get(k) ?? 0);
  return out;
}

const settle = () => new Promise((r) => setTimeout(r, 300));

// On SQLite every timer is unref'd; on PostgreSQL the pool and the LISTEN connection held the process before the fix.
describe.each(backendNames)("a failed start closes what it opened (flaw 11, %s)", (backend) => {
  const configFor = async (extra: ConfigInput) =>
    loadConfig({
      overrides: {
        dataDir: mkdtempSync(path.join(tmpdir(), "switchboard-failstart-")),
        ...(await backendConfig(backend)),
        port: 0,
        httpPort: 0,
        invalidationPollMs: 50,
        log: { level: "silent" },
        ...extra,
      },
    });

  it("when the TLS material cannot be loaded", async () => {
    const config = await configFor({ tls: { certFile: "/nonexistent/cert.pem", keyFile: "/nonexistent/key.pem" } });
    await settle();
    const before = liveResources();
    await expect(createSwitchboard(config, { logDestination: pino.destination("/dev/null") })).rejects.toThrow();
    await settle();
    expect(growth(before, liveResources())).toEqual({});
  });

  it("when the port is taken", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const config = await configFor({ port });
      await settle();
      const before = liveResources();
      const server = await createSwitchboard(config, { logDestination: pino.destination("/dev/null") });
      await expect(server.listen()).rejects.toThrow(/EADDRINUSE/);
      await settle();
      expect(growth(before, liveResources())).toEqual({});
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
