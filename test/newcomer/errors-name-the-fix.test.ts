import { EmailClient } from "@azure/communication-email";
import { ClientSecretCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { managedDomainOf } from "../../src/email/email-domains.js";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

describe.each(backendNames)("errors that name the fix (%s)", (backend) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ backend });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("DomainNotLinked lists the resource's valid senders", async () => {
    await srv.server.core.messaging.emailDomains.add(srv.resource.id, "contoso.example", ["alerts"]);
    const email = new EmailClient(srv.connectionString());
    const err = (await email
      .beginSend({ senderAddress: "me@unknown.example", content: { subject: "s", plainText: "p" }, recipients: { to: [{ address: "a@example.com" }] } })
      .then((p) => p.pollUntilDone())
      .catch((e: unknown) => e)) as { statusCode: number; code: string; message: string };
    expect(err).toMatchObject({ statusCode: 400, code: "DomainNotLinked" });
    expect(err.message).toBe(
      `The domain of 'me@unknown.example' is not a domain of this resource. Valid senders: DoNotReply@${managedDomainOf(srv.resource.id)}, alerts@contoso.example.`,
    );
  });

  it("an unknown tenant answers AADSTS90002 and the request log line carries the code", async () => {
    const tenant = "11111111-2222-3333-4444-555555555555";
    const res = await fetch(`${srv.httpsUrl}/${tenant}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request", error_codes: [90002], error_description: expect.stringMatching(/^AADSTS90002: Tenant/) });
    // What a newcomer sees from @azure/identity for the same mistake (README Troubleshooting).
    const credential = new ClientSecretCredential(tenant, "client", "secret", { authorityHost: srv.httpsUrl, disableInstanceDiscovery: true });
    await expect(credential.getToken("https://communication.azure.com//.default")).rejects.toThrow(/endpoints_resolution_error/);
    const discovery = () =>
      srv
        .readLog()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { op?: string; code?: string; status?: number })
        .filter((l) => l.op === "idp.discovery" && l.status === 400);
    // A request's line is written when its response has finished, which the client can see first.
    await vi.waitFor(() => expect(discovery().length).toBeGreaterThanOrEqual(2));
    expect(discovery().every((l) => l.code === "AADSTS90002")).toBe(true);
  });

  it("the HTTP listener redirects a browser's page request to HTTPS, and serves API clients as before", async () => {
    const httpsPort = new URL(srv.httpsUrl).port;
    const page = await fetch(`${srv.httpUrl}/calling/demo?x=1`, { headers: { accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8" }, redirect: "manual" });
    expect(page.status).toBe(308);
    expect(page.headers.get("location")).toBe(`https://127.0.0.1:${httpsPort}/calling/demo?x=1`);
    const api = await fetch(`${srv.httpUrl}/health/ready`, { redirect: "manual" });
    expect(api.status).toBe(200);
    const post = await fetch(`${srv.httpUrl}/identities?api-version=2023-10-01`, { method: "POST", headers: { accept: "text/html" }, redirect: "manual" });
    expect(post.status).toBe(401);
  });

  it("the calling demo page says how to get a token", async () => {
    const html = await (await fetch(`${srv.httpsUrl}/calling/demo`)).text();
    expect(html).toContain("<code>switchboard identity create --scopes voip</code>");
  });
});
