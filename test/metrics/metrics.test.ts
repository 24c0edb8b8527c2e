import { CommunicationIdentityClient } from "@azure/communication-identity";
import parsePrometheusTextFormat, { type MetricFamily, type Sample } from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLoopbackHost, metricsAccess } from "../../src/telemetry/metrics-routes.js";
import { createFixedClock } from "../../src/util/clock.js";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

type Scrape = Map<string, MetricFamily>;

/**
 * Parses a scrape. parse-prometheus-text-format folds the series of a labelled histogram into one (it keeps only
 * unlabelled histograms), so histogram families are parsed a second time declared untyped: each of their
 * `_bucket`, `_sum` and `_count` series then comes back with its labels.
 */
function parseScrape(text: string): Scrape {
  const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  const histograms = text.replace(/^# TYPE (\S+) histogram$/gm, "# TYPE $1 untyped");
  const series = new Map<string, MetricFamily>();
  for (const f of parsePrometheusTextFormat(histograms)) {
    if (families.has(f.name)) continue;
    // _bucket, _sum and _count alternate per label set: one family each per run, merged here.
    const seen = series.get(f.name);
    if (seen === undefined) series.set(f.name, f);
    else seen.metrics.push(...f.metrics);
  }
  for (const [name, f] of series) families.set(name, f);
  return families;
}

async function scrape(srv: TestServer, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(`${srv.httpUrl}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseScrape(await res.text());
}

function sample(s: Scrape, name: string, labels: Record<string, string> = {}): Sample | undefined {
  return s.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v) && Object.keys(m.labels ?? {}).length === Object.keys(labels).length);
}

function value(s: Scrape, name: string, labels: Record<string, string> = {}): number {
  const m = sample(s, name, labels);
  return m === undefined ? 0 : Number(m.value ?? m.count);
}

async function runSequence(srv: TestServer): Promise<void> {
  const client = new CommunicationIdentityClient(srv.connectionString("http"), { allowInsecureConnection: true });
  const a = (await client.createUserAndToken(["chat"])).user;
  const b = await client.createUser();
  await client.getToken(a, ["voip"]);
  await client.getToken(b, ["voip", "chat"]);
  await client.revokeTokens(a);
  const refused = await signedFetch(`${srv.httpUrl}/identities/${encodeURIComponent(a.communicationUserId)}/:revokeAccessTokens?api-version=2023-10-01`, {
    method: "POST",
    accessKey: Buffer.alloc(32, 7).toString("base64"),
  });
  expect(refused.status).toBe(401);
  await client.deleteUser(b);
  await expect(client.getToken(b, ["chat"])).rejects.toMatchObject({ statusCode: 404 });
  await srv.server.core.activity.flush();
}

describe.each(backendNames)("GET /metrics after a known sequence (%s)", (backend) => {
  let srv: TestServer;
  let before: Scrape;
  let after: Scrape;
  const delta = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);

  beforeAll(async () => {
    srv = await startTestServer({ backend, clock: createFixedClock(Date.now()) });
    before = await scrape(srv);
    await runSequence(srv);
    after = await scrape(srv);
  });
  afterAll(async () => {
    await srv.close();
  });

  it("counts requests by operation, status and auth scheme, exactly", () => {
    const requests = (operation: string, status: string, auth: string) => delta("switchboard_http_requests_total", { operation, status, auth });
    expect(requests("identity.create", "201", "access-key")).toBe(2);
    expect(requests("identity.issueAccessToken", "200", "access-key")).toBe(2);
    expect(requests("identity.issueAccessToken", "404", "access-key")).toBe(1);
    expect(requests("identity.revokeAccessTokens", "204", "access-key")).toBe(1);
    expect(requests("identity.revokeAccessTokens", "401", "rejected")).toBe(1);
    expect(requests("identity.delete", "204", "access-key")).toBe(1);
    expect(requests("metrics.scrape", "200", "none")).toBe(1);
    const total = after.get("switchboard_http_requests_total")!.metrics.reduce((n, m) => n + Number(m.value), 0);
    expect(total).toBe(9);
  });

  it("has latency histograms by operation", () => {
    expect(after.get("switchboard_http_request_duration_seconds")?.type).toBe("HISTOGRAM");
    expect(delta("switchboard_http_request_duration_seconds_count", { operation: "identity.create" })).toBe(2);
    expect(delta("switchboard_http_request_duration_seconds_bucket", { operation: "identity.create", le: "+Inf" })).toBe(2);
    expect(delta("switchboard_http_request_duration_seconds_count", { operation: "identity.issueAccessToken" })).toBe(3);
    expect(value(after, "switchboard_http_request_duration_seconds_sum", { operation: "identity.create" })).toBeGreaterThan(0);
  });

  it("counts tokens by scope set, revocations, auth failures by code and activity rows", () => {
    expect(delta("switchboard_tokens_issued_total", { scopes: "chat" })).toBe(1);
    expect(delta("switchboard_tokens_issued_total", { scopes: "voip" })).toBe(1);
    expect(delta("switchboard_tokens_issued_total", { scopes: "chat,voip" })).toBe(1);
    expect(after.get("switchboard_tokens_issued_total")!.metrics).toHaveLength(3);
    expect(delta("switchboard_token_revocations_total")).toBe(1);
    expect(delta("switchboard_auth_failures_total", { code: "InvalidSignature" })).toBe(1);
    expect(after.get("switchboard_auth_failures_total")!.metrics).toHaveLength(1);
    // 7 events, each filed under one identity (the wrong-key request names none).
    expect(delta("switchboard_activity_events_written_total")).toBe(7);
    expect(value(after, "switchboard_activity_events_dropped_total", { reason: "queue_full" })).toBe(0);
    expect(value(after, "switchboard_activity_events_dropped_total", { reason: "write_failed" })).toBe(0);
    expect(value(after, "switchboard_activity_queue_length")).toBe(0);
    expect(value(after, "switchboard_active_identities")).toBe(2);
    expect(value(before, "switchboard_active_identities")).toBe(0);
  });

  it("exposes process metrics and never an identity in a label", () => {
    expect(after.get("switchboard_process_cpu_user_seconds_total")?.type).toBe("COUNTER");
    expect(after.get("switchboard_nodejs_heap_size_total_bytes")?.type).toBe("GAUGE");
    for (const family of after.values()) {
      expect(family.name.startsWith("switchboard_"), family.name).toBe(true);
      for (const m of family.metrics) {
        for (const [k, v] of Object.entries(m.labels ?? {})) {
          expect(k).not.toMatch(/identity|principal|subject/i);
          expect(v, `${family.name}{${k}}`).not.toMatch(/^8:|key:/);
        }
      }
    }
  });
});

describe("metrics access", () => {
  it("is open on loopback, token-protected when a token is set, closed elsewhere without one", () => {
    expect(["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"].every(isLoopbackHost)).toBe(true);
    expect(["0.0.0.0", "::", "10.0.0.5", "switchboard.example.com", "128.0.0.1"].some(isLoopbackHost)).toBe(false);
    expect(metricsAccess("127.0.0.1", undefined)).toEqual({ kind: "open" });
    expect(metricsAccess("0.0.0.0", undefined)).toEqual({ kind: "closed" });
    expect(metricsAccess("0.0.0.0", "a-long-enough-token")).toEqual({ kind: "token", token: "a-long-enough-token" });
    expect(metricsAccess("127.0.0.1", "a-long-enough-token")).toEqual({ kind: "token", token: "a-long-enough-token" });
  });

  describe("with metrics.token and with activity recording off", () => {
    let srv: TestServer;
    const token = "scrape-token-0123456789";
    beforeAll(async () => {
      srv = await startTestServer({ config: { metrics: { token }, activity: { enabled: false } } });
    });
    afterAll(async () => {
      await srv.close();
    });

    it("answers 401 without the token or with a wrong one, 200 with it", async () => {
      const none = await fetch(`${srv.httpUrl}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get("x-ms-error-code")).toBe("MetricsUnauthorized");
      expect(((await none.json()) as { error: { code: string } }).error.code).toBe("MetricsUnauthorized");
      const wrong = await fetch(`${srv.httpUrl}/metrics`, { headers: { authorization: "Bearer scrape-token-0123456780" } });
      expect(wrong.status).toBe(401);
      const s = await scrape(srv, { authorization: `Bearer ${token}` });
      expect(value(s, "switchboard_http_requests_total", { operation: "metrics.scrape", status: "401", auth: "rejected" })).toBe(2);
      expect(value(s, "switchboard_auth_failures_total", { code: "MetricsUnauthorized" })).toBe(2);
      expect(srv.readLog()).not.toContain(token);
    });

    it("records nothing when activity is off, while the metrics still move", async () => {
      await runSequence(srv);
      const s = await scrape(srv, { authorization: `Bearer ${token}` });
      expect(value(s, "switchboard_activity_events_written_total")).toBe(0);
      expect(value(s, "switchboard_tokens_issued_total", { scopes: "chat,voip" })).toBe(1);
      expect(value(s, "switchboard_active_identities")).toBe(2);
      expect(await srv.server.core.activityRepository.count()).toBe(0);
    });
  });
});
