import { EmailClient } from "@azure/communication-email";
import { PhoneNumbersClient } from "@azure/communication-phone-numbers";
import { SmsClient } from "@azure/communication-sms";
import { ClientSecretCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { managedDomainOf } from "../../src/email/email-domains.js";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ACS_SCOPE, createSp, type CreatedSp } from "../entra/entra-support.js";
import { buyNumbers } from "./helpers.js";

const ACS = "Microsoft.Communication/CommunicationServices";

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iter) out.push(x);
  return out;
}

describe.each(backendNames)("Phone Numbers, SMS, Email and the outbox with an Entra service principal (%s)", (backend) => {
  let srv: TestServer;
  let owner: CreatedSp;
  let reader: CreatedSp;
  const credential = (sp: CreatedSp) => new ClientSecretCredential(sp.tenantId, sp.clientId, sp.clientSecret!, { authorityHost: srv.httpsUrl, disableInstanceDiscovery: true });
  const endpoint = () => `${srv.httpsUrl}/`;

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    owner = await createSp(srv, "messaging-owner", ["--role", "Communication and Email Service Owner"]);
    reader = await createSp(srv, "messaging-reader", ["--role", "Reader"]);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("an owner runs every flow through the SDKs and pollers; the outbox names the service principal", async () => {
    const cred = credential(owner);
    const numbers = new PhoneNumbersClient(endpoint(), cred);
    const search = await (
      await numbers.beginSearchAvailablePhoneNumbers({ countryCode: "US", phoneNumberType: "tollFree", assignmentType: "application", capabilities: { calling: "none", sms: "outbound" }, quantity: 1 })
    ).pollUntilDone();
    await (await numbers.beginPurchasePhoneNumbers(search.searchId)).pollUntilDone();
    const [number] = search.phoneNumbers;
    expect((await numbers.getPurchasedPhoneNumber(number!)).phoneNumber).toBe(number);
    expect((await collect(numbers.listPurchasedPhoneNumbers())).map((n) => n.phoneNumber)).toContain(number);
    expect((await collect(numbers.listAvailableCountries())).length).toBeGreaterThan(0);

    const [sent] = await new SmsClient(endpoint(), cred).send({ from: number!, to: ["+14255550123"], message: "via Entra" });
    expect(sent).toMatchObject({ httpStatusCode: 202, successful: true });

    const mail = await (
      await new EmailClient(endpoint(), cred).beginSend({
        senderAddress: `DoNotReply@${managedDomainOf(srv.resource.id)}`,
        content: { subject: "via Entra", plainText: "hello" },
        recipients: { to: [{ address: "a@example.com" }] },
      })
    ).pollUntilDone();
    expect(mail.status).toBe("Succeeded");

    const token = (await cred.getToken(ACS_SCOPE))!.token;
    const res = await fetch(`${srv.httpsUrl}/outbox`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const outbox = ((await res.json()) as { value: Array<{ id: string; principal: string; kind: string }> }).value;
    expect(outbox.find((m) => m.id === sent!.messageId)).toMatchObject({ kind: "sms", principal: `sp:${owner.objectId}` });
    expect(outbox.find((m) => m.id === mail.id)).toMatchObject({ kind: "email", principal: `sp:${owner.objectId}` });

    await (await numbers.beginReleasePhoneNumber(number!)).pollUntilDone();
    await expect(numbers.getPurchasedPhoneNumber(number!)).rejects.toMatchObject({ statusCode: 404 });
  });

  it("a Reader may read but not search, send or clear, and is told which permission is missing", async () => {
    const cred = credential(reader);
    const [mine] = await buyNumbers(srv);
    const numbers = new PhoneNumbersClient(endpoint(), cred);
    expect((await collect(numbers.listPurchasedPhoneNumbers())).map((n) => n.phoneNumber)).toContain(mine);
    await expect(
      numbers.beginSearchAvailablePhoneNumbers({ countryCode: "US", phoneNumberType: "tollFree", assignmentType: "application", capabilities: { calling: "none", sms: "outbound" } }),
    ).rejects.toMatchObject({ statusCode: 403, code: "AuthorizationFailed", message: expect.stringContaining(`${ACS}/availablePhoneNumbers/search/action`) });
    await expect(numbers.beginReleasePhoneNumber(mine!)).rejects.toMatchObject({ statusCode: 403, message: expect.stringContaining(`${ACS}/phoneNumbers/delete`) });
    await expect(new SmsClient(endpoint(), cred).send({ from: mine!, to: ["+14255550123"], message: "no" })).rejects.toMatchObject({
      statusCode: 403,
      code: "AuthorizationFailed",
      message: expect.stringContaining(`${ACS}/sms/send/action`),
    });
    await expect(
      new EmailClient(endpoint(), cred).beginSend({ senderAddress: `DoNotReply@${managedDomainOf(srv.resource.id)}`, content: { subject: "no", plainText: "no" }, recipients: { to: [{ address: "a@example.com" }] } }),
    ).rejects.toMatchObject({ statusCode: 403, message: expect.stringContaining(`${ACS}/emails/send/action`) });

    const token = (await cred.getToken(ACS_SCOPE))!.token;
    expect((await fetch(`${srv.httpsUrl}/outbox`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const cleared = await fetch(`${srv.httpsUrl}/outbox`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
    expect(cleared.status).toBe(403);
    expect(await cleared.json()).toMatchObject({ error: { code: "AuthorizationFailed", message: expect.stringContaining(`${ACS}/outbox/delete`) } });
  });
});
