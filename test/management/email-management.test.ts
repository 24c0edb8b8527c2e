import { EmailClient } from "@azure/communication-email";
import type { CommunicationServiceManagementClient } from "@azure/arm-communication";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { armClient, principalWithRole } from "./arm-support.js";

const send = (cs: string, senderAddress: string) =>
  new EmailClient(cs, { retryOptions: { maxRetries: 0 } })
    .beginSend({ senderAddress, content: { subject: "hello", plainText: "from the management test" }, recipients: { to: [{ address: "someone@example.org" }] } })
    .then((p) => p.pollUntilDone());

describe.each(backendNames)("e-mail services and domains through @azure/arm-communication (%s)", (backend) => {
  let srv: TestServer;
  let arm: CommunicationServiceManagementClient;
  let mine: string;
  let other: string;

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    arm = armClient(srv, await principalWithRole(srv, "email-owner", "Owner"));
    for (const name of ["mail-app", "mail-other"]) {
      await arm.communicationServices.beginCreateOrUpdateAndWait("rg-mail", name, { location: "global", dataLocation: "Europe" });
    }
    mine = (await arm.communicationServices.listKeys("rg-mail", "mail-app")).primaryConnectionString!;
    other = (await arm.communicationServices.listKeys("rg-mail", "mail-other")).primaryConnectionString!;
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("an AzureManaged domain linked to a resource lets that resource's EmailClient send from DoNotReply@<domain>, and no other", async () => {
    const service = await arm.emailServices.beginCreateOrUpdateAndWait("rg-mail", "mail-service", { location: "global", dataLocation: "Europe" }, { updateIntervalInMs: 10 });
    expect(service).toMatchObject({ name: "mail-service", type: "Microsoft.Communication/EmailServices", dataLocation: "Europe", provisioningState: "Succeeded" });
    const domain = await arm.domains.beginCreateOrUpdateAndWait("rg-mail", "mail-service", "AzureManagedDomain", { location: "global", domainManagement: "AzureManaged" }, { updateIntervalInMs: 10 });
    expect(domain.fromSenderDomain).toMatch(/^[0-9a-f-]{36}\.azurecomm\.net$/);
    expect(domain.verificationStates?.domain?.status).toBe("Verified");
    const sender = `DoNotReply@${domain.fromSenderDomain}`;

    await expect(send(mine, sender)).rejects.toMatchObject({ statusCode: 400, code: "DomainNotLinked" });
    const linked = await arm.communicationServices.update("rg-mail", "mail-app", { linkedDomains: [domain.id!] });
    expect(linked.linkedDomains).toEqual([domain.id]);
    expect(await send(mine, sender)).toMatchObject({ status: "Succeeded" });
    await expect(send(other, sender)).rejects.toMatchObject({ statusCode: 400, code: "DomainNotLinked" });

    // A new sender user name reaches the linked resource; unlinking takes the domain away again.
    await arm.senderUsernames.createOrUpdate("rg-mail", "mail-service", "AzureManagedDomain", "alerts", { username: "alerts", displayName: "Alerts" });
    const names = [];
    for await (const u of arm.senderUsernames.listByDomains("rg-mail", "mail-service", "AzureManagedDomain")) names.push(u.username);
    expect(names.sort()).toEqual(["DoNotReply", "alerts"]);
    expect(await send(mine, `alerts@${domain.fromSenderDomain}`)).toMatchObject({ status: "Succeeded" });
    await arm.communicationServices.update("rg-mail", "mail-app", { linkedDomains: [] });
    await expect(send(mine, sender)).rejects.toMatchObject({ statusCode: 400, code: "DomainNotLinked" });
  });

  it("a CustomerManaged domain shows its verification records and can be linked only once verified", async () => {
    await arm.emailServices.beginCreateOrUpdateAndWait("rg-mail", "mail-custom", { location: "global", dataLocation: "Europe" });
    const domain = await arm.domains.beginCreateOrUpdateAndWait("rg-mail", "mail-custom", "contoso.example", { location: "global", domainManagement: "CustomerManaged" });
    expect(domain.fromSenderDomain).toBe("contoso.example");
    expect(domain.verificationStates?.domain?.status).toBe("NotStarted");
    expect(domain.verificationRecords?.domain).toMatchObject({ type: "TXT", name: "@", value: expect.stringMatching(/^ms-domain-verification=/) });
    await expect(arm.communicationServices.update("rg-mail", "mail-app", { linkedDomains: [domain.id!] })).rejects.toMatchObject({ statusCode: 400, code: "InvalidRequestContent" });

    await arm.domains.beginInitiateVerificationAndWait("rg-mail", "mail-custom", "contoso.example", { verificationType: "Domain" }, { updateIntervalInMs: 10 });
    expect((await arm.domains.get("rg-mail", "mail-custom", "contoso.example")).verificationStates?.domain?.status).toBe("Verified");
    await arm.senderUsernames.createOrUpdate("rg-mail", "mail-custom", "contoso.example", "support", { username: "support" });
    await arm.communicationServices.update("rg-mail", "mail-app", { linkedDomains: [domain.id!] });
    expect(await send(mine, "support@contoso.example")).toMatchObject({ status: "Succeeded" });

    // Deleting the domain unlinks it everywhere.
    await arm.domains.beginDeleteAndWait("rg-mail", "mail-custom", "contoso.example", { updateIntervalInMs: 10 });
    expect((await arm.communicationServices.get("rg-mail", "mail-app")).linkedDomains).toEqual([]);
    await expect(send(mine, "support@contoso.example")).rejects.toMatchObject({ statusCode: 400, code: "DomainNotLinked" });
    const services = [];
    for await (const s of arm.emailServices.listBySubscription()) services.push(s.name);
    expect(services.sort()).toEqual(["mail-custom", "mail-service"]);
  });
});
