import http from "node:http";
import type { AddressInfo } from "node:net";
import { EmailClient } from "@azure/communication-email";
import { SmsClient } from "@azure/communication-sms";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { managedDomainOf } from "../../src/email/email-domains.js";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { signedFetch } from "../support/signed-fetch.js";
import { buyNumbers, readOutbox } from "./helpers.js";

/** A loopback webhook receiver that fails the first `failFirst` deliveries with 503. */
async function startReceiver(failFirst: number) {
  const received: Array<{ body: any; headers: http.IncomingHttpHeaders; status: number }> = [];
  let calls = 0;
  const server = http.createServer((req, res) => {
    let data = "";
    req.on("data", (d) => (data += d));
    req.on("end", () => {
      calls += 1;
      const status = calls <= failFirst ? 503 : 200;
      received.push({ body: JSON.parse(data), headers: req.headers, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events?code=secret-in-query`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function waitFor<T>(probe: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function waitForAsync<T>(probe: () => Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(backendNames)("SMS delivery-report webhooks (%s)", (backend) => {
  let srv: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let stored: Awaited<ReturnType<typeof startReceiver>>;
  let down: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver(1);
    stored = await startReceiver(0);
    down = await startReceiver(Number.MAX_SAFE_INTEGER);
    srv = await startTestServer({
      backend,
      config: { sms: { deliveryReportWebhooks: [{ url: receiver.url }, { url: down.url, resource: "dev" }], webhookBackoffMs: 50, webhookMaxAttempts: 3 } },
    });
    await srv.server.core.messaging.sms.addWebhook(srv.resource.id, stored.url);
  });
  afterAll(async () => {
    await srv?.close();
    await receiver?.close();
    await stored?.close();
    await down?.close();
  });

  it("posts an Event Grid SMSDeliveryReportReceived event, retrying after a failed first delivery", async () => {
    const [sender] = await buyNumbers(srv);
    const client = new SmsClient(srv.connectionString("https"));
    const [result] = await client.send({ from: sender!, to: ["+14255550199"], message: "report" }, { enableDeliveryReport: true, tag: "order-42" });

    const delivered = await waitFor(() => receiver.received.find((r) => r.status === 200), "the retried delivery");
    expect(receiver.received[0]!.status).toBe(503); // the first attempt failed …
    expect(receiver.received[1]).toBe(delivered); // … and the second carried the same event
    expect(delivered.body).toEqual(receiver.received[0]!.body);
    expect(delivered.headers["aeg-event-type"]).toBe("Notification");
    expect(delivered.headers["content-type"]).toBe("application/json");
    expect(delivered.body).toHaveLength(1);
    const event = delivered.body[0];
    expect(event).toMatchObject({
      eventType: "Microsoft.Communication.SMSDeliveryReportReceived",
      dataVersion: "1.0",
      metadataVersion: "1",
      subject: "/phonenumber/14255550199",
      data: {
        messageId: result!.messageId,
        from: sender,
        to: "+14255550199",
        deliveryStatus: "Delivered",
        deliveryStatusDetails: "No error.",
        tag: "order-42",
        deliveryAttempts: [{ segmentsSucceeded: 1, segmentsFailed: 0 }],
      },
    });
    expect(event.topic).toMatch(/\/providers\/Microsoft\.Communication\/CommunicationServices\/dev$/);
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(event.eventTime)).not.toBeNaN();

    // The webhook stored for the resource (CLI) gets it too; a send without enableDeliveryReport posts nothing.
    await waitFor(() => stored.received.find((r) => r.body[0].data.messageId === result!.messageId), "the stored webhook");
    const count = receiver.received.length;
    await client.send({ from: sender!, to: ["+14255550198"], message: "no report" });
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received.length).toBe(count);
    // The webhook URL's query (which may hold a secret) never reaches the log.
    expect(srv.readLog()).not.toContain("secret-in-query");
    expect(srv.readLog()).toContain("event delivery failed");
  });

  it("delivers through the durable event outbox: a webhook that keeps failing is dead-lettered and listed in events failures", async () => {
    const [sender] = await buyNumbers(srv);
    const client = new SmsClient(srv.connectionString("https"));
    const [result] = await client.send({ from: sender!, to: ["+14255550197"], message: "to a dead endpoint" }, { enableDeliveryReport: true });
    const subs = srv.server.core.events.subscriptions;
    const failure = await waitForAsync(async () => (await subs.failures(srv.resource.id)).find((f) => (f.event as { data: { messageId: string } }).data.messageId === result!.messageId), "the dead letter");
    // sms.webhookMaxAttempts (3) attempts, sms.webhookBackoffMs apart and doubling; the last answer kept.
    expect(failure).toMatchObject({ attempts: 3, lastError: "HTTP 503", eventType: "Microsoft.Communication.SMSDeliveryReportReceived" });
    expect(failure.subscriptionId).toMatch(/^smswebhook-/);
    expect(down.received.filter((r) => r.body[0].data.messageId === result!.messageId).map((r) => r.status)).toEqual([503, 503, 503]);
    // The same payload the webhook was sent, in the failures list (what `switchboard events failures` prints).
    expect(failure.event).toEqual(down.received.find((r) => r.body[0].data.messageId === result!.messageId)!.body[0]);
    // The working webhooks got it, once each.
    await waitFor(() => stored.received.find((r) => r.body[0].data.messageId === result!.messageId), "the stored webhook");
    await waitFor(() => receiver.received.find((r) => r.body[0].data.messageId === result!.messageId), "the configured webhook");
    // The targets are listed with the subscriptions, marked as SMS webhooks; removing a stored one stops it at the next send.
    const listed = await subs.list(srv.resource.id);
    expect(listed.filter((l) => l.id.startsWith("smswebhook-")).map((l) => l.endpoint).sort()).toEqual([receiver.url, down.url, stored.url].sort());
    await srv.server.core.messaging.sms.removeWebhook(srv.resource.id, stored.url);
    const before = stored.received.length;
    const [again] = await client.send({ from: sender!, to: ["+14255550196"], message: "after removal" }, { enableDeliveryReport: true });
    await waitFor(() => receiver.received.find((r) => r.body[0].data.messageId === again!.messageId), "the configured webhook again");
    expect(stored.received.length).toBe(before);
    expect((await subs.list(srv.resource.id)).filter((l) => l.id.startsWith("smswebhook-")).map((l) => l.endpoint).sort()).toEqual([receiver.url, down.url].sort());
  });
});

describe.each(backendNames)("SMTP relay (%s)", (backend) => {
  let srv: TestServer;
  let smtp: SMTPServer;
  const mails: Array<{ from: string; to: string[]; raw: string }> = [];
  let refuse = false;
  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData(stream, session, callback) {
        let raw = "";
        stream.on("data", (d: Buffer) => (raw += d.toString("utf8")));
        stream.on("end", () => {
          if (refuse) return callback(Object.assign(new Error("Mailbox unavailable"), { responseCode: 550 }));
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((r) => r.address), raw });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    srv = await startTestServer({ backend, config: { email: { smtpUrl: `smtp://127.0.0.1:${port}?ignoreTLS=true` } } });
  });
  afterAll(async () => {
    await srv?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it("relays an accepted e-mail to the SMTP server; the operation succeeds once it is delivered", async () => {
    const sender = `DoNotReply@${managedDomainOf(srv.resource.id)}`;
    const client = new EmailClient(srv.connectionString("https"));
    const poller = await client.beginSend({
      senderAddress: sender,
      content: { subject: "Relayed", plainText: "through SMTP", html: "<b>through SMTP</b>" },
      recipients: { to: [{ address: "alice@example.com", displayName: "Alice" }], bcc: [{ address: "audit@example.com" }] },
      headers: { "x-correlation": "abc" },
      attachments: [{ name: "a.txt", contentType: "text/plain", contentInBase64: Buffer.from("attached!").toString("base64") }],
    });
    const result = await poller.pollUntilDone();
    expect(result.status).toBe("Succeeded");
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.from).toBe(sender);
    expect(mail.to.sort()).toEqual(["alice@example.com", "audit@example.com"]);
    expect(mail.raw).toMatch(/^Subject: Relayed\r?$/m);
    expect(mail.raw).toMatch(/^To: Alice <alice@example\.com>\r?$/m);
    expect(mail.raw).not.toMatch(/^Bcc:/m);
    expect(mail.raw).toMatch(/^X-Correlation: abc\r?$/im);
    expect(mail.raw).toContain("through SMTP");
    expect(mail.raw).toContain(Buffer.from("attached!").toString("base64"));
    const entry = (await readOutbox(srv)).find((m) => m.id === result.id);
    expect(entry).toMatchObject({ status: "Succeeded", relayed: true, relay: { ok: true } });
  });

  it("an operation whose relay was interrupted (process stopped) fails instead of running forever", async () => {
    const id = crypto.randomUUID();
    const resourceId = srv.resource.id;
    const old = Date.now() - 10 * 60_000;
    await srv.server.core.store.write((trx) =>
      trx.insertInto("email_operations").values({ id, resource_id: resourceId, status: "Running", error_code: null, error_message: null, created_at: old, updated_at: old }).execute(),
    );
    const res = await signedFetch(`${srv.httpUrl}/emails/operations/${id}?api-version=2025-09-01`, { accessKey: srv.currentResource().keys.primary.value });
    expect(res).toMatchObject({ status: 200, body: { id, status: "Failed", error: { code: "EmailDropped" } } });
    expect(res.headers.get("retry-after")).toBeNull();
  });

  it("a message the SMTP server refuses ends as a Failed operation with error code and message", async () => {
    refuse = true;
    try {
      const client = new EmailClient(srv.connectionString("http"), { allowInsecureConnection: true });
      const poller = await client.beginSend({
        senderAddress: `DoNotReply@${managedDomainOf(srv.resource.id)}`,
        content: { subject: "Refused", plainText: "x" },
        recipients: { to: [{ address: "nobody@example.com" }] },
      });
      await expect(poller.pollUntilDone()).rejects.toThrow(/The long-running operation has failed\. EmailDropped\. The SMTP relay did not accept the message: 550/);
      const entry = (await readOutbox(srv)).find((m) => m.subject === "Refused");
      expect(entry).toMatchObject({ status: "Failed", relay: { ok: false } });
    } finally {
      refuse = false;
    }
  });
});
