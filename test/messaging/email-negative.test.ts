import { EmailClient, type EmailMessage } from "@azure/communication-email";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { managedDomainOf } from "../../src/email/email-domains.js";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { api, readOutbox } from "./helpers.js";

const V = "2025-09-01";

describe.each(backendNames)("Email refusals and sender domains (%s)", (backend) => {
  let srv: TestServer;
  let sender: string;
  beforeAll(async () => {
    srv = await startTestServer({ backend, config: { email: { maxMessageBytes: 4096, maxRecipients: 3 } } });
    sender = `DoNotReply@${managedDomainOf(srv.resource.id)}`;
  });
  afterAll(async () => {
    await srv?.close();
  });
  const client = () => new EmailClient(srv.connectionString("http"), { allowInsecureConnection: true });
  const base = (): EmailMessage => ({ senderAddress: sender, content: { subject: "Hi", plainText: "body" }, recipients: { to: [{ address: "a@example.com" }] } });
  const send = async (message: EmailMessage) => (await client().beginSend(message)).pollUntilDone();

  it("refuses senders outside the resource's domains; an added domain and its senders work", async () => {
    await expect(send({ ...base(), senderAddress: "DoNotReply@unknown.example" })).rejects.toMatchObject({ statusCode: 400, code: "DomainNotLinked" });
    await expect(send({ ...base(), senderAddress: `ceo@${managedDomainOf(srv.resource.id)}` })).rejects.toMatchObject({ statusCode: 400, code: "InvalidSenderUserName" });
    const domains = srv.server.core.messaging.emailDomains;
    await domains.add(srv.resource.id, "Contoso.example", ["alerts"]);
    expect(await domains.senders(srv.resource.id)).toEqual([sender, "alerts@contoso.example"]);
    const ok = await send({ ...base(), senderAddress: "alerts@contoso.example" });
    expect(ok.status).toBe("Succeeded");
    expect((await readOutbox(srv, "?kind=email")).find((m) => m.id === ok.id)).toMatchObject({ from: "alerts@contoso.example" });
  });

  it("refuses bad recipients, headers, attachments and oversized messages with 4xx; nothing is stored", async () => {
    const before = (await readOutbox(srv)).length;
    const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");
    const cases: Array<[EmailMessage, number, string]> = [
      [{ ...base(), recipients: { to: [{ address: "not-an-address" }] } }, 400, "InvalidEmailAddress"],
      [{ ...base(), recipients: { to: [], cc: [{ address: "b@example.com" }] } }, 400, "InvalidRequestBody"],
      [{ ...base(), recipients: { to: ["a", "b", "c", "d"].map((x) => ({ address: `${x}@example.com` })) } }, 400, "TooManyRecipients"],
      [{ ...base(), headers: { From: "spoof@example.com" } }, 400, "InvalidEmailHeader"],
      [{ ...base(), headers: { "x-bad": "line\r\nBcc: victim@example.com" } }, 400, "InvalidEmailHeader"],
      [{ ...base(), headers: { "bad name": "v" } }, 400, "InvalidEmailHeader"],
      [{ ...base(), attachments: [{ name: "run.exe", contentType: "application/x-msdownload", contentInBase64: b64("MZ") }] }, 400, "UnsupportedAttachmentType"],
      [{ ...base(), attachments: [{ name: "a.txt", contentType: "text/plain", contentInBase64: "%%%not base64%%%" }] }, 400, "InvalidAttachmentContent"],
      [{ ...base(), attachments: [{ name: "big.pdf", contentType: "application/pdf", contentInBase64: b64(Buffer.alloc(5000, 1)) }] }, 413, "EmailTooLarge"],
      [{ ...base(), content: { subject: "no body" } as EmailMessage["content"] }, 400, "InvalidRequestBody"],
    ];
    for (const [message, statusCode, code] of cases) {
      await expect(send(message), code).rejects.toMatchObject({ statusCode, code });
    }
    expect((await readOutbox(srv)).length).toBe(before);
  });

  it("malformed bodies, a bad Operation-Id and unknown operations get 4xx in the ACS error shape", async () => {
    const key = srv.currentResource().keys.primary.value;
    const bodies: Array<[string | object, string]> = [
      ["not json", "InvalidJson"],
      [{}, "InvalidRequestBody"],
      [{ senderAddress: sender, content: { subject: "x", plainText: "y" } }, "InvalidRequestBody"],
      [{ senderAddress: sender, content: { subject: "x", plainText: "y" }, recipients: { to: [{ address: 5 }] } }, "InvalidRequestBody"],
    ];
    for (const [body, code] of bodies) {
      const res = await signedFetch(api(srv, "/emails:send", V), { method: "POST", accessKey: key, body });
      expect({ status: res.status, code: res.body.error.code, header: res.headers.get("x-ms-error-code") }).toEqual({ status: 400, code, header: code });
    }
    const badId = await signedFetch(api(srv, "/emails:send", V), { method: "POST", accessKey: key, body: base(), headers: { "operation-id": "not-a-uuid" } });
    expect(badId).toMatchObject({ status: 400, body: { error: { code: "InvalidOperationId" } } });
    const unknown = await signedFetch(api(srv, `/emails/operations/${crypto.randomUUID()}`, V), { accessKey: key });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: "EmailOperationNotFound" } } });
  });
});
