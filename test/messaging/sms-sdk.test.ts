import { SmsClient } from "@azure/communication-sms";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { buyNumbers, readOutbox } from "./helpers.js";

describe.each(backendNames)("SMS through @azure/communication-sms (%s)", (backend) => {
  let srv: TestServer;
  let sender: string;
  beforeAll(async () => {
    srv = await startTestServer({ backend, config: { sms: { alphanumericSenders: ["Contoso"] } } });
    [sender] = await buyNumbers(srv);
  });
  afterAll(async () => {
    await srv?.close();
  });

  describe.each(["https", "http"] as const)("over %s", (scheme) => {
    const client = () =>
      scheme === "https" ? new SmsClient(srv.connectionString("https")) : new SmsClient(srv.connectionString("http"), { allowInsecureConnection: true });

    it("sends to several recipients; each gets a message id; the outbox holds each message", async () => {
      const message = `Hello from ${scheme} ☃`;
      const results = await client().send({ from: sender!, to: ["+14255550123", "+14255550124"], message }, { enableDeliveryReport: true, tag: "probe" });
      expect(results).toHaveLength(2);
      for (const r of results) {
        expect(r).toMatchObject({ httpStatusCode: 202, successful: true, repeatabilityResult: "accepted" });
        expect(r.messageId).toMatch(/^Outgoing_\d{14}[0-9a-f-]{36}_noam$/);
      }
      const outbox = await readOutbox(srv, "?kind=sms");
      for (const r of results) {
        const entry = outbox.find((m) => m.id === r.messageId);
        expect(entry).toMatchObject({
          kind: "sms",
          from: sender,
          to: [r.to],
          text: message,
          content: message,
          segments: 1,
          encoding: "UCS-2",
          tag: "probe",
          deliveryReportRequested: true,
          principal: "key:primary",
        });
        expect(Date.parse(entry.createdAt)).not.toBeNaN();
      }
      // The request log names the message ids and recipients, never the text.
      // (written when the response has finished, which the client can see first)
      const line = await vi.waitFor(() => {
        const found = srv.readLog().split("\n").find((l) => l.includes(results[0]!.messageId!));
        if (found === undefined) throw new Error("not logged yet");
        return found;
      });
      expect(JSON.parse(line)).toMatchObject({ op: "sms.send", status: 202, principal: "key:primary", subjects: ["+14255550123", "+14255550124"], fields: { smsMessageId: results.map((r) => r.messageId) } });
      expect(srv.readLog()).not.toContain(message);
    });

    it("counts segments: GSM-7 (160/153) and UCS-2 (70/67)", async () => {
      const long = "a".repeat(161);
      const [r] = await client().send({ from: sender!, to: ["+14255550125"], message: long });
      const entry = (await readOutbox(srv)).find((m) => m.id === r!.messageId);
      expect(entry).toMatchObject({ segments: 2, encoding: "GSM-7", text: long });
      const [u] = await client().send({ from: sender!, to: ["+14255550125"], message: "€".repeat(81) }); // 162 septets: the extension character counts twice
      expect((await readOutbox(srv)).find((m) => m.id === u!.messageId)).toMatchObject({ segments: 2, encoding: "GSM-7" });
      const [v] = await client().send({ from: sender!, to: ["+14255550125"], message: "☃".repeat(71) });
      expect((await readOutbox(srv)).find((m) => m.id === v!.messageId)).toMatchObject({ segments: 2, encoding: "UCS-2" });
    });

    it("sends from a configured alphanumeric sender id", async () => {
      const [r] = await client().send({ from: "Contoso", to: ["+14255550126"], message: "alpha" });
      expect(r).toMatchObject({ successful: true, httpStatusCode: 202 });
      expect((await readOutbox(srv)).find((m) => m.id === r!.messageId)).toMatchObject({ from: "Contoso", to: ["+14255550126"], text: "alpha" });
    });

    it("reports an invalid recipient inside the 202 and sends to the others", async () => {
      const before = (await readOutbox(srv)).length;
      const results = await client().send({ from: sender!, to: ["4255550127", "+14255550128"], message: "mixed" });
      // As ACS records it: no messageId and no repeatabilityResult on an invalid number.
      expect(results[0]).toEqual({ to: "4255550127", httpStatusCode: 400, successful: false, errorMessage: "Invalid To phone number format." });
      expect(results[1]).toMatchObject({ to: "+14255550128", httpStatusCode: 202, successful: true });
      expect((await readOutbox(srv)).length).toBe(before + 1);
    });

    it("refuses a sender the resource does not own, and one without SMS capability", async () => {
      await expect(client().send({ from: "+18005550199", to: ["+14255550123"], message: "x" })).rejects.toMatchObject({ statusCode: 401, code: "Unauthorized" });
      const [noSms] = await buyNumbers(srv, { capabilities: { calling: "inbound+outbound", sms: "none" } });
      await expect(client().send({ from: noSms!, to: ["+14255550123"], message: "x" })).rejects.toMatchObject({ statusCode: 400, code: "SenderNotSmsCapable" });
      await expect(client().send({ from: "NotConfigured", to: ["+14255550123"], message: "x" })).rejects.toMatchObject({ statusCode: 400, code: "InvalidSender" });
    });
  });
});
