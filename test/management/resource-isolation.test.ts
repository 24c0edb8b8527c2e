import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { SmsClient } from "@azure/communication-sms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { buyNumbers } from "../messaging/helpers.js";
import { armClient, principalWithRole } from "./arm-support.js";

interface Tenant {
  name: string;
  id: string;
  endpoint: string;
  key: string;
  connectionString: string;
  identity: CommunicationIdentityClient;
  sms: SmsClient;
  number: string;
}

describe.each(backendNames)("two resources used at once stay apart (%s)", (backend) => {
  let srv: TestServer;
  let a: Tenant;
  let b: Tenant;

  async function provision(name: string): Promise<Tenant> {
    const arm = armClient(srv, await principalWithRole(srv, `owner-${name}`, "Owner"));
    const r = await arm.communicationServices.beginCreateOrUpdateAndWait(`rg-${name}`, name, { location: "global", dataLocation: "United States" });
    const keys = await arm.communicationServices.listKeys(`rg-${name}`, name);
    const resource = srv.server.core.registry.get(r.immutableResourceId!)!;
    const [number] = await buyNumbers(srv, { resource });
    return {
      name,
      id: r.immutableResourceId!,
      endpoint: `https://${r.hostName}`,
      key: keys.primaryKey!,
      connectionString: keys.primaryConnectionString!,
      identity: new CommunicationIdentityClient(keys.primaryConnectionString!),
      sms: new SmsClient(keys.primaryConnectionString!),
      number: number!,
    };
  }

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    a = await provision("tenant-a");
    b = await provision("tenant-b");
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("identities and tokens: each resource's ids carry its own id; the other resource cannot use or see them", async () => {
    const [ua, ub] = await Promise.all([a.identity.createUserAndToken(["chat"]), b.identity.createUserAndToken(["chat"])]);
    expect(ua.user.communicationUserId.startsWith(`8:acs:${a.id}_`)).toBe(true);
    expect(ub.user.communicationUserId.startsWith(`8:acs:${b.id}_`)).toBe(true);
    for (const attempt of [() => b.identity.getToken(ua.user, ["chat"]), () => b.identity.revokeTokens(ua.user), () => b.identity.deleteUser(ua.user)]) {
      await expect(attempt()).rejects.toMatchObject({ statusCode: 401, code: "IdentityNotOwned" });
    }
    // A's token still works at A after B's attempts.
    await new ChatClient(a.endpoint, new AzureCommunicationTokenCredential(ua.token)).createChatThread({ topic: "still fine" });
  });

  it("chat: a token of one resource is refused at the other; threads are not visible across resources", async () => {
    const ua = await a.identity.createUserAndToken(["chat"]);
    const ub = await b.identity.createUserAndToken(["chat"]);
    const chatA = new ChatClient(a.endpoint, new AzureCommunicationTokenCredential(ua.token));
    const { chatThread } = await chatA.createChatThread({ topic: "A only" });
    await chatA.getChatThreadClient(chatThread!.id).sendMessage({ content: "secret of A" });

    const aTokenAtB = new ChatClient(b.endpoint, new AzureCommunicationTokenCredential(ua.token));
    await expect(aTokenAtB.listChatThreads().next()).rejects.toMatchObject({ statusCode: 401 });

    const chatB = new ChatClient(b.endpoint, new AzureCommunicationTokenCredential(ub.token));
    const threadsOfB = [];
    for await (const t of chatB.listChatThreads()) threadsOfB.push(t.id);
    expect(threadsOfB).not.toContain(chatThread!.id);
    await expect(chatB.getChatThreadClient(chatThread!.id).getProperties()).rejects.toMatchObject({ statusCode: 404 });
  });

  it("numbers and SMS: a resource cannot send from the other's number; each outbox holds only its own messages", async () => {
    await expect(b.sms.send({ from: a.number, to: ["+14255550100"], message: "spoof" })).rejects.toMatchObject({ statusCode: 401, code: "Unauthorized" });
    const [sent] = await a.sms.send({ from: a.number, to: ["+14255550101"], message: "from A" });
    expect(sent!.successful).toBe(true);
    const outboxA = await signedFetch(`${a.endpoint}/outbox?kind=sms`, { accessKey: a.key });
    const outboxB = await signedFetch(`${b.endpoint}/outbox?kind=sms`, { accessKey: b.key });
    expect(outboxA.status).toBe(200);
    expect(outboxA.body.value.map((m: { id: string }) => m.id)).toContain(sent!.messageId);
    expect(outboxB.status).toBe(200);
    expect(outboxB.body.value).toEqual([]);
    const numbersB = await signedFetch(`${b.endpoint}/phoneNumbers?api-version=2025-06-01`, { accessKey: b.key });
    expect(numbersB.body.phoneNumbers.map((n: { phoneNumber: string }) => n.phoneNumber)).toEqual([b.number]);
  });

  it("activity: an identity's record is read at its own resource only", async () => {
    const { user } = await a.identity.createUserAndToken(["chat"]);
    await srv.server.core.activity.flush();
    const q = `/activity?identity=${encodeURIComponent(user.communicationUserId)}&api-version=2025-06-30`;
    const atA = await signedFetch(`${a.endpoint}${q}`, { accessKey: a.key });
    const atB = await signedFetch(`${b.endpoint}${q}`, { accessKey: b.key });
    expect(atA.status).toBe(200);
    expect(atA.body.value.length).toBeGreaterThan(0);
    expect(atB.status).toBe(200);
    expect(atB.body.value).toEqual([]);
  });
});
