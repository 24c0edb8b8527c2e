import type { AddressInfo } from "node:net";
import { EmailClient } from "@azure/communication-email";
import { EventGridDeserializer, isSystemEvent, type EventGridEvent } from "@azure/eventgrid";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { managedDomainOf } from "../../src/email/email-domains.js";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { startWebhookReceiver, waitFor, type WebhookReceiver } from "./webhook-receiver.js";

const deserializer = new EventGridDeserializer();
const TYPE = "Microsoft.Communication.EmailDeliveryReportReceived";

async function reportsFor(receiver: WebhookReceiver, messageId: string, count: number): Promise<EventGridEvent<any>[]> {
  return waitFor(async () => {
    const all: EventGridEvent<any>[] = [];
    for (const n of receiver.notifications().filter((r) => r.status === 200)) all.push(...(await deserializer.deserializeEventGridEvents(n.body)));
    const mine = all.filter((e) => e.data?.messageId === messageId);
    return mine.length >= count ? mine : undefined;
  }, `${count} delivery reports`);
}

describe.each(backendNames)("EmailDeliveryReportReceived on the event outbox (%s)", (backend) => {
  let local: TestServer;
  let relayed: TestServer;
  let smtp: SMTPServer;
  let refuse = false;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData(stream, _session, callback) {
        stream.on("data", () => undefined);
        stream.on("end", () => (refuse ? callback(Object.assign(new Error("Mailbox unavailable"), { responseCode: 550 })) : callback()));
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    local = await startTestServer({ backend, config: { events: { pollMs: 20 } } });
    relayed = await startTestServer({ backend, config: { events: { pollMs: 20 }, email: { smtpUrl: `smtp://127.0.0.1:${port}?ignoreTLS=true` } } });
    receiver = await startWebhookReceiver();
    for (const srv of [local, relayed]) {
      expect((await srv.server.core.events.subscriptions.subscribe(srv.resource, { endpoint: receiver.url, types: [TYPE] })).status).toBe("active");
    }
  });
  afterAll(async () => {
    await receiver?.close();
    await relayed?.close();
    await local?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  const start = async (srv: TestServer) => {
    const sender = `DoNotReply@${managedDomainOf(srv.resource.id)}`;
    const poller = await new EmailClient(srv.connectionString("https")).beginSend({
      senderAddress: sender,
      content: { subject: "report me", plainText: "hi" },
      recipients: { to: [{ address: "alice@example.com" }], cc: [{ address: "bob@example.com" }] },
    });
    return { sender, poller };
  };
  const send = async (srv: TestServer) => {
    const { sender, poller } = await start(srv);
    return { sender, result: await poller.pollUntilDone() };
  };

  it("one Delivered report per recipient, parsed by @azure/eventgrid as a system event (no relay: kept in the outbox)", async () => {
    const { sender, result } = await send(local);
    const reports = await reportsFor(receiver, result.id, 2);
    expect(reports.every((e) => isSystemEvent(TYPE, e))).toBe(true);
    expect(reports.map((e) => e.data.recipient).sort()).toEqual(["alice@example.com", "bob@example.com"]);
    expect(reports[0]).toMatchObject({
      subject: `sender/${sender}/message/${result.id}`,
      data: { sender, messageId: result.id, status: "Delivered", deliveryStatusDetails: { statusMessage: expect.any(String) }, internetMessageId: expect.any(String) },
    });
    expect(new Date(reports[0]!.data.deliveryAttemptTimestamp).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it("through an SMTP relay: Delivered when it accepts, Failed when it refuses", async () => {
    const ok = await send(relayed);
    expect((await reportsFor(receiver, ok.result.id, 2)).map((e) => e.data.status)).toEqual(["Delivered", "Delivered"]);
    refuse = true;
    try {
      const { poller } = await start(relayed);
      await expect(poller.pollUntilDone()).rejects.toThrow(/EmailDropped/);
      // The only refused message: its two reports say Failed, for the same message id.
      const reports = await waitFor(async () => {
        const all: EventGridEvent<any>[] = [];
        for (const n of receiver.notifications().filter((r) => r.status === 200)) all.push(...(await deserializer.deserializeEventGridEvents(n.body)));
        const failed = all.filter((e) => e.data?.status === "Failed");
        return failed.length >= 2 ? failed : undefined;
      }, "two Failed reports");
      expect(reports).toHaveLength(2);
      expect(new Set(reports.map((e) => e.data.messageId)).size).toBe(1);
      expect(reports.map((e) => e.data.recipient).sort()).toEqual(["alice@example.com", "bob@example.com"]);
      expect(reports[0]!.data.deliveryStatusDetails.statusMessage).toContain("550");
    } finally {
      refuse = false;
    }
  });
});
