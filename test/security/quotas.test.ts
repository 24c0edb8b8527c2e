import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { managedDomainOf } from "../../src/email/email-domains.js";
import { AcsError } from "../../src/errors/acs-errors.js";
import { DataPlaneQuotas } from "../../src/security/quotas.js";
import type { Resource } from "../../src/resources/resource.js";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import type { TestServer } from "../support/test-server.js";
import { accessKey, rawRequest, startServer } from "./support.js";

const resource = { id: "00000000-0000-4000-8000-000000000001" } as Resource;

describe("the acs quota preset", () => {
  it("allows 1,000 token issuances per 30 s per resource, then 429 TooManyRequests with Retry-After", () => {
    let now = 1_000_000;
    const quotas = new DataPlaneQuotas(() => "acs", () => now);
    const ctx = { resource, principal: undefined, params: {}, body: {} };
    for (let i = 0; i < 1000; i++) quotas.check("identity.issueAccessToken", ctx);
    let refused: unknown;
    try {
      quotas.check("identity.issueAccessToken", ctx);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(AcsError);
    expect((refused as AcsError).status).toBe(429);
    expect((refused as AcsError).code).toBe("TooManyRequests");
    expect(Number((refused as AcsError).headers?.["retry-after"])).toBe(30);
    // Another operation and another resource have their own counts.
    quotas.check("identity.create", ctx);
    quotas.check("identity.issueAccessToken", { ...ctx, resource: { id: "other" } as Resource });
    now += 30_000;
    quotas.check("identity.issueAccessToken", ctx);
  });

  it("counts SMS per sender number and chat messages per thread", () => {
    const quotas = new DataPlaneQuotas(() => "acs", () => 5_000);
    const sms = (from: string) => quotas.check("sms.send", { resource, principal: undefined, params: {}, body: { from } });
    for (let i = 0; i < 200; i++) sms("+18005550100");
    expect(() => sms("+18005550100")).toThrow(AcsError);
    sms("+18005550101");
    const send = (threadId: string) => quotas.check("chat.sendMessage", { resource, principal: undefined, params: { threadId }, body: {} });
    for (let i = 0; i < 10; i++) send("19:a@thread.v2");
    expect(() => send("19:a@thread.v2")).toThrow(AcsError);
    send("19:b@thread.v2");
  });

  it("is off by default", () => {
    const quotas = new DataPlaneQuotas(() => "off", () => 0);
    for (let i = 0; i < 5000; i++) quotas.check("identity.issueAccessToken", { resource, principal: undefined, params: {}, body: {} });
  });
});

describe.each(backendNames)("quotas on a listening server (%s)", (backend) => {
  let limited: TestServer;
  let unlimited: TestServer;
  beforeAll(async () => {
    [limited, unlimited] = await Promise.all([startServer(backend, { config: { quotas: { preset: "acs" } } }), startServer(backend)]);
  });
  afterAll(async () => {
    await Promise.all([limited?.close(), unlimited?.close()]);
  });

  const send = (srv: TestServer) =>
    signedFetch(`${srv.httpUrl}/emails:send?api-version=2025-09-01`, {
      method: "POST",
      accessKey: accessKey(srv),
      body: { senderAddress: `DoNotReply@${managedDomainOf(srv.resource.id)}`, content: { subject: "s", plainText: "p" }, recipients: { to: [{ address: "a@example.com" }] } },
    });

  it("the acs preset answers the 31st e-mail of a minute with ACS's 429 and Retry-After, counted in the metrics", async () => {
    for (let i = 0; i < 30; i++) expect((await send(limited)).status).toBe(202);
    const refused = await send(limited);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("TooManyRequests");
    expect(refused.headers.get("x-ms-error-code")).toBe("TooManyRequests");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const metrics = await rawRequest(`${limited.httpUrl}/metrics`);
    const line = metrics.text.split("\n").find((l) => l.startsWith("switchboard_http_requests_total{") && l.includes('operation="email.send"') && l.includes('status="429"'));
    expect(line).toBeDefined();
    expect(Number(line!.split(" ").pop())).toBe(1);
  });

  it("without a preset, the same 31 e-mails are all accepted", async () => {
    for (let i = 0; i < 31; i++) expect((await send(unlimited)).status).toBe(202);
  });
});
