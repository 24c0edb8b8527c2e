import { EmailClient } from "@azure/communication-email";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { SmsClient } from "@azure/communication-sms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { summarizeIdentity } from "../../src/cli/activity-command.js";
import { managedDomainOf } from "../../src/email/email-domains.js";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { buyNumbers } from "../messaging/helpers.js";

/** SMS and e-mail name phone numbers and addresses; a send made for a communication user names it, and is filed there. */
describe.each(backendNames)("SMS and e-mail sent on behalf of an identity (%s)", (backend) => {
  let srv: TestServer;
  let alice: string;
  let bob: string;
  let sender: string;

  const eventsOf = async (identity: string) => {
    await srv.server.core.activity.flush();
    return (await srv.server.core.activityRepository.query({ identity, limit: 100 })).events;
  };

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    const identities = new CommunicationIdentityClient(srv.connectionString("http"), { allowInsecureConnection: true });
    alice = (await identities.createUser()).communicationUserId;
    bob = (await identities.createUser()).communicationUserId;
    [sender] = await buyNumbers(srv);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("an SMS whose tag is an identity is in that identity's record, and in nobody else's", async () => {
    const sms = new SmsClient(srv.connectionString("http"), { allowInsecureConnection: true });
    const [result] = await sms.send({ from: sender!, to: ["+14255550199"], message: "your code is 1234" }, { tag: alice });
    expect(result!.successful).toBe(true);
    // A tag that is not an identity files nothing.
    await sms.send({ from: sender!, to: ["+14255550198"], message: "order shipped" }, { tag: "order-42" });

    const sent = (await eventsOf(alice)).filter((e) => e.operation === "sms.send");
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ status: 202, principal: "key:primary", subjects: [alice, "+14255550199"], fields: { smsMessageId: [result!.messageId] } });
    expect(JSON.stringify(sent[0])).not.toContain("your code");
    expect(await eventsOf(bob)).toEqual([expect.objectContaining({ operation: "identity.create" })]);
  });

  it("an e-mail with the X-Switchboard-Identity header is in that identity's record", async () => {
    const email = new EmailClient(srv.connectionString("http"), { allowInsecureConnection: true });
    const poller = await email.beginSend({
      senderAddress: `DoNotReply@${managedDomainOf(srv.resource.id)}`,
      content: { subject: "Welcome", plainText: "hello bob" },
      recipients: { to: [{ address: "bob@example.com" }] },
      headers: { "X-Switchboard-Identity": bob },
    });
    const done = await poller.pollUntilDone();
    expect(done.status).toBe("Succeeded");

    const sent = (await eventsOf(bob)).filter((e) => e.operation === "email.send");
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ status: 202, subjects: [bob, "bob@example.com"], fields: { emailMessageId: done.id } });
    expect((await eventsOf(alice)).filter((e) => e.operation === "email.send")).toEqual([]);
  });

  it("the summary counts them", async () => {
    expect(await summarizeIdentity(srv.server.core, alice)).toMatchObject({ smsSent: 1, emailsSent: 0 });
    expect(await summarizeIdentity(srv.server.core, bob)).toMatchObject({ smsSent: 0, emailsSent: 1 });
  });
});
