import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { managedDomainOf } from "../../src/email/email-domains.js";
import { startChatFixture, type ChatFixture } from "../chat/chat-fixture.js";
import { api, buyNumbers } from "../messaging/helpers.js";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";

/**
 * The api-version each SDK release sends by default (read from each npm release's generated client; the releases
 * installed in sdk-releases.ts are also checked on the wire). Each must be served by a real operation. The same
 * table is in docs/fidelity.md.
 */
export const apiVersionsSent = {
  identity: {
    "2021-03-07": "communication-identity 1.0.x",
    "2022-06-01": "communication-identity 1.1.x",
    "2022-10-01": "communication-identity 1.2.x",
    "2023-10-01": "communication-identity 1.3.x",
  },
  chat: {
    "2021-03-07": "communication-chat 1.0.x",
    "2021-09-07": "communication-chat 1.1.x–1.3.x",
    "2023-11-07": "communication-chat 1.4.x",
    "2024-03-07": "communication-chat 1.5.x",
    "2025-03-15": "communication-chat 1.6.x",
  },
  sms: {
    "2021-03-07": "communication-sms 1.0.x, 1.1.x",
    "2024-02-05-preview": "communication-sms 1.2.0-beta.1",
    "2024-12-10-preview": "communication-sms 1.2.0-beta.3 (first with optOuts)",
    "2025-05-29-preview": "communication-sms 1.2.0-beta.4",
    "2026-01-23": "REST spec (delivery reports), no SDK yet",
  },
  email: {
    "2023-03-31": "communication-email 1.0.x",
    "2025-09-01": "communication-email 1.1.x",
  },
  phoneNumbers: {
    "2021-03-07": "communication-phone-numbers 1.0.x",
    "2025-06-01": "communication-phone-numbers 1.5.x",
  },
} as const;

const versions = (service: keyof typeof apiVersionsSent) => Object.keys(apiVersionsSent[service]);

describe.each(backendNames)("every api-version an SDK release sends is served (%s)", (backend) => {
  let fx: ChatFixture;
  let key: string;
  let sender: string;
  let chatToken: string;
  beforeAll(async () => {
    fx = await startChatFixture({ backend });
    key = fx.srv.currentResource().keys.primary.value;
    [sender] = await buyNumbers(fx.srv);
    chatToken = (await fx.newUser()).token;
  });
  afterAll(async () => {
    await fx?.srv.close();
  });
  const post = (path: string, v: string, body: object) => signedFetch(api(fx.srv, path, v), { method: "POST", accessKey: key, body });

  it.each(versions("identity"))("identity %s: create a user and a token", async (v) => {
    const res = await post("/identities", v, { createTokenWithScopes: ["chat"] });
    expect(res.status).toBe(201);
    expect(res.body.identity.id).toMatch(/^8:acs:/);
  });

  it.each(versions("chat"))("chat %s: create and list threads", async (v) => {
    const created = await fx.call(chatToken, "POST", `/chat/threads?api-version=${v}`, { topic: v });
    expect(created.status).toBe(201);
    const listed = await fx.call(chatToken, "GET", `/chat/threads?api-version=${v}`);
    expect(listed.status).toBe(200);
    expect(listed.body.value.map((t: { id: string }) => t.id)).toContain(created.body.chatThread.id);
  });

  it.each(versions("sms"))("sms %s: send", async (v) => {
    const res = await post("/sms", v, { from: sender, smsRecipients: [{ to: "+14255550190" }], message: v, smsSendOptions: { enableDeliveryReport: false } });
    expect(res.status).toBe(202);
    expect(res.body.value[0]).toMatchObject({ httpStatusCode: 202, successful: true });
  });

  it.each(versions("email"))("email %s: send", async (v) => {
    const res = await post("/emails:send", v, {
      senderAddress: `DoNotReply@${managedDomainOf(fx.srv.resource.id)}`,
      content: { subject: v, plainText: "x" },
      recipients: { to: [{ address: "a@example.com" }] },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get("operation-location")).toContain(`api-version=${v}`);
  });

  it.each(versions("phoneNumbers"))("phone numbers %s: list purchased numbers", async (v) => {
    const res = await signedFetch(api(fx.srv, "/phoneNumbers", v), { accessKey: key });
    expect(res.status).toBe(200);
    expect(res.body.phoneNumbers.map((n: { phoneNumber: string }) => n.phoneNumber)).toContain(sender);
  });
});
