import { EmailClient, type EmailClientOptions, type EmailMessage } from "@azure/communication-email";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { managedDomainOf } from "../../src/email/email-domains.js";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { readOutbox } from "./helpers.js";

describe.each(backendNames)("Email through @azure/communication-email (%s)", (backend) => {
  let srv: TestServer;
  let sender: string;
  beforeAll(async () => {
    srv = await startTestServer({ backend });
    sender = `DoNotReply@${managedDomainOf(srv.resource.id)}`;
  });
  afterAll(async () => {
    await srv?.close();
  });

  describe.each([
    ["https", "2025-09-01"],
    ["http", "2025-09-01"],
    ["https", "2023-03-31"],
    ["http", "2023-03-31"],
  ] as const)("over %s, api-version %s", (scheme, apiVersion) => {
    const client = () => {
      // apiVersion is read by the generated client (it is not in the public option type).
      const options = { apiVersion, ...(scheme === "http" ? { allowInsecureConnection: true } : {}) };
      return new EmailClient(srv.connectionString(scheme), options as EmailClientOptions);
    };
    /** The api-version of each logged e-mail request for this operation id (the route annotates it). */
    const loggedVersions = (id: string): string[] =>
      srv
        .readLog()
        .split("\n")
        .filter((l) => l.includes(id))
        .map((l) => JSON.parse(l).fields?.apiVersion);

    it("sends through beginSend(...).pollUntilDone(); the outbox holds the message", async () => {
      const message: EmailMessage = {
        senderAddress: sender,
        content: { subject: `Welcome ${scheme} ${apiVersion}`, plainText: "Hello ☃", html: "<p>Hello ☃</p>" },
        recipients: {
          to: [{ address: "alice@example.com", displayName: "Alice" }],
          cc: [{ address: "bob@example.com" }],
          bcc: [{ address: "carol@example.org" }],
        },
        replyTo: [{ address: "support@example.com" }],
        headers: { "x-campaign": "spring" },
        attachments: [{ name: "note.txt", contentType: "text/plain", contentInBase64: Buffer.from("attached").toString("base64") }],
      };
      const poller = await client().beginSend(message);
      const result = await poller.pollUntilDone();
      expect(result.status).toBe("Succeeded");
      expect(result.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(srv.readLog()).not.toContain("Hello ☃");
      // The last poll's line is written when its response has finished, which the client can see first.
      await vi.waitFor(() => expect(loggedVersions(result.id).length).toBeGreaterThanOrEqual(2)); // the send and at least one poll
      expect(new Set(loggedVersions(result.id))).toEqual(new Set([apiVersion]));

      const entry = (await readOutbox(srv, "?kind=email")).find((m) => m.id === result.id);
      expect(entry).toMatchObject({
        kind: "email",
        from: sender,
        to: ["alice@example.com", "bob@example.com", "carol@example.org"],
        subject: `Welcome ${scheme} ${apiVersion}`,
        text: "Hello ☃",
        content: "Hello ☃",
        html: "<p>Hello ☃</p>",
        status: "Succeeded",
        operationId: result.id,
        headers: { "x-campaign": "spring" },
        replyTo: [{ address: "support@example.com" }],
        recipients: { to: [{ address: "alice@example.com", displayName: "Alice" }], cc: [{ address: "bob@example.com" }], bcc: [{ address: "carol@example.org" }] },
        attachments: [{ name: "note.txt", contentType: "text/plain", size: 8, contentInBase64: Buffer.from("attached").toString("base64") }],
        principal: "key:primary",
      });
    });

    it("uses the client's operationId as the operation id, and a repeat is not sent again", async () => {
      const operationId = crypto.randomUUID();
      const message: EmailMessage = { senderAddress: sender, content: { subject: "Once", plainText: "only once" }, recipients: { to: [{ address: "dave@example.com" }] } };
      const first = await (await client().beginSend(message, { operationId })).pollUntilDone();
      expect(first).toMatchObject({ id: operationId, status: "Succeeded" });
      const again = await (await client().beginSend(message, { operationId })).pollUntilDone();
      expect(again).toMatchObject({ id: operationId, status: "Succeeded" });
      expect((await readOutbox(srv)).filter((m) => m.id === operationId)).toHaveLength(1);
    });
  });
});
