import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import type { CommunicationServiceManagementClient } from "@azure/arm-communication";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { armClient, principalWithRole, within } from "./arm-support.js";

const TYPE = "Microsoft.Communication/CommunicationServices";

describe.each(backendNames)("communicationServices through @azure/arm-communication (%s)", (backend) => {
  let srv: TestServer;
  let arm: CommunicationServiceManagementClient;
  let sub: string;

  beforeAll(async () => {
    srv = await startTestServer({ backend, config: { management: { pageSize: 2 } } });
    sub = srv.server.core.management.subscriptionId;
    arm = armClient(srv, await principalWithRole(srv, "arm-owner", "Owner"));
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("creates a resource with beginCreateOrUpdateAndWait; its connection string from listKeys works with the Identity SDK", async () => {
    const created = await arm.communicationServices.beginCreateOrUpdateAndWait(
      "rg-apps",
      "contoso-a",
      { location: "global", dataLocation: "Europe", tags: { team: "a" } },
      { updateIntervalInMs: 10 },
    );
    expect(created).toMatchObject({
      id: `/subscriptions/${sub}/resourceGroups/rg-apps/providers/Microsoft.Communication/communicationServices/contoso-a`,
      name: "contoso-a",
      type: TYPE,
      location: "global",
      tags: { team: "a" },
      provisioningState: "Succeeded",
      dataLocation: "Europe",
      linkedDomains: [],
    });
    expect(created.immutableResourceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.immutableResourceId).not.toBe(srv.resource.id);
    expect(created.hostName).toMatch(/^127\.0\.0\.1:\d+$/);

    const keys = await arm.communicationServices.listKeys("rg-apps", "contoso-a");
    expect(keys.primaryConnectionString).toBe(`endpoint=https://${created.hostName}/;accesskey=${keys.primaryKey}`);
    expect(keys.secondaryConnectionString).toBe(`endpoint=https://${created.hostName}/;accesskey=${keys.secondaryKey}`);
    const identity = new CommunicationIdentityClient(keys.primaryConnectionString!);
    const { user, token } = await identity.createUserAndToken(["chat"]);
    expect(user.communicationUserId).toMatch(new RegExp(`^8:acs:${created.immutableResourceId}_`));
    expect(token.split(".")).toHaveLength(3);
    // The default resource's key is refused at this resource's endpoint: keys never cross resources.
    const foreign = new CommunicationIdentityClient(`endpoint=https://${created.hostName}/;accesskey=${srv.resource.keys.primary.value}`);
    await expect(foreign.createUser()).rejects.toMatchObject({ statusCode: 401 });
  });

  it("re-PUT of an existing resource answers 200 and keeps its keys; dataLocation cannot change", async () => {
    const before = await arm.communicationServices.listKeys("rg-apps", "contoso-a");
    const again = await arm.communicationServices.beginCreateOrUpdateAndWait("rg-apps", "contoso-a", { location: "global", dataLocation: "Europe", tags: { team: "a2" } });
    expect(again.tags).toEqual({ team: "a2" });
    expect((await arm.communicationServices.listKeys("rg-apps", "contoso-a")).primaryKey).toBe(before.primaryKey);
    await expect(
      arm.communicationServices.beginCreateOrUpdateAndWait("rg-apps", "contoso-a", { location: "global", dataLocation: "Asia Pacific" }),
    ).rejects.toMatchObject({ statusCode: 400, code: "InvalidRequestContent" });
  });

  it("lists by subscription (following nextLink) and by resource group", async () => {
    await arm.communicationServices.beginCreateOrUpdateAndWait("rg-other", "contoso-b", { location: "global", dataLocation: "United States" });
    await arm.communicationServices.beginCreateOrUpdateAndWait("rg-other", "contoso-c", { location: "global", dataLocation: "United States" });
    const all = [];
    for await (const r of arm.communicationServices.listBySubscription()) all.push(r);
    // Page size 2 and four resources: the SDK followed a nextLink.
    expect(all.map((r) => r.name).sort()).toEqual(["contoso-a", "contoso-b", "contoso-c", srv.resource.name].sort());
    const pages = [];
    for await (const page of arm.communicationServices.listBySubscription().byPage()) pages.push(page.length);
    expect(pages).toEqual([2, 2]);
    const dev = all.find((r) => r.name === srv.resource.name)!;
    expect(dev.id).toBe(`/subscriptions/${sub}/resourceGroups/switchboard-dev/providers/Microsoft.Communication/communicationServices/${srv.resource.name}`);
    expect(dev.immutableResourceId).toBe(srv.resource.id);

    const inGroup = [];
    for await (const r of arm.communicationServices.listByResourceGroup("rg-other")) inGroup.push(r.name);
    expect(inGroup.sort()).toEqual(["contoso-b", "contoso-c"]);
    await expect(arm.communicationServices.get("rg-none", "contoso-b")).rejects.toMatchObject({ statusCode: 404, code: "ResourceGroupNotFound" });
    await expect(arm.communicationServices.get("rg-other", "contoso-a")).rejects.toMatchObject({ statusCode: 404, code: "ResourceNotFound" });
  });

  it("regenerateKey answers the rotated pair only; the old key is refused within a second, the new one works", async () => {
    const before = await arm.communicationServices.listKeys("rg-apps", "contoso-a");
    const oldClient = new CommunicationIdentityClient(before.primaryConnectionString!);
    await oldClient.createUser();
    const rotated = await arm.communicationServices.regenerateKey("rg-apps", "contoso-a", { keyType: "Primary" });
    expect(Object.keys(rotated).sort()).toEqual(["primaryConnectionString", "primaryKey"]);
    expect(rotated.primaryKey).not.toBe(before.primaryKey);
    const elapsed = await within(1000, async () => {
      try {
        await oldClient.createUser();
        return false;
      } catch (err) {
        return (err as { statusCode?: number }).statusCode === 401;
      }
    });
    expect(elapsed).toBeLessThanOrEqual(1000);
    await new CommunicationIdentityClient(rotated.primaryConnectionString!).createUser();
    // The secondary key was not touched.
    await new CommunicationIdentityClient(before.secondaryConnectionString!).createUser();
  });

  it("PATCH changes tags; checkNameAvailability tells taken, free and invalid names apart", async () => {
    const patched = await arm.communicationServices.update("rg-apps", "contoso-a", { tags: { team: "a", env: "ci" } });
    expect(patched.tags).toEqual({ team: "a", env: "ci" });
    expect((await arm.communicationServices.get("rg-apps", "contoso-a")).tags).toEqual({ team: "a", env: "ci" });

    expect(await arm.communicationServices.checkNameAvailability({ name: "contoso-a", type: TYPE })).toMatchObject({ nameAvailable: false, reason: "AlreadyExists" });
    expect(await arm.communicationServices.checkNameAvailability({ name: "fresh-name", type: TYPE })).toEqual({ nameAvailable: true });
    expect(await arm.communicationServices.checkNameAvailability({ name: "bad name!", type: TYPE })).toMatchObject({ nameAvailable: false, reason: "Invalid" });
  });

  it("beginDeleteAndWait deletes: GET is 404 and the resource's keys are refused", async () => {
    const keys = await arm.communicationServices.listKeys("rg-other", "contoso-c");
    const created = await arm.communicationServices.get("rg-other", "contoso-c");
    const client = new CommunicationIdentityClient(keys.primaryConnectionString!, { retryOptions: { maxRetries: 0 } });
    const { token } = await client.createUserAndToken(["chat"]);
    const endpointC = `https://${created.hostName}`;
    const { chatThread } = await new ChatClient(endpointC, new AzureCommunicationTokenCredential(token)).createChatThread({ topic: "doomed" });
    const stored = () =>
      Promise.all(
        (["identities", "chat_threads"] as const).map(async (t) =>
          Number((await srv.server.core.store.db.selectFrom(t).select((eb) => eb.fn.countAll().as("n")).where("resource_id", "=", created.immutableResourceId!).executeTakeFirstOrThrow()).n),
        ),
      );
    expect(await stored()).toEqual([1, 1]);
    expect(chatThread!.id).toMatch(/@thread/);
    await arm.communicationServices.beginDeleteAndWait("rg-other", "contoso-c", { updateIntervalInMs: 10 });
    await expect(arm.communicationServices.get("rg-other", "contoso-c")).rejects.toMatchObject({ statusCode: 404, code: "ResourceNotFound" });
    // Its endpoint is gone, and its key signs nothing anywhere on the server.
    await expect(client.createUser()).rejects.toThrow();
    const viaMain = await signedFetch(`${srv.httpUrl}/identities?api-version=2025-06-30`, { method: "POST", accessKey: keys.primaryKey!, body: {} });
    expect(viaMain.status).toBe(401);
    expect(srv.server.core.registry.get(created.immutableResourceId!)).toBeUndefined();
    // Its data is gone, and its user tokens are refused wherever they are presented.
    expect(await stored()).toEqual([0, 0]);
    await expect(new ChatClient(srv.httpsUrl, new AzureCommunicationTokenCredential(token), { retryOptions: { maxRetries: 0 } }).listChatThreads().next()).rejects.toMatchObject({ statusCode: 401 });
    // Deleting again is a no-op (204), as ARM answers.
    await arm.communicationServices.beginDeleteAndWait("rg-other", "contoso-c");
    expect(await arm.communicationServices.checkNameAvailability({ name: "contoso-c", type: TYPE })).toEqual({ nameAvailable: true });
  });

  it("a token for https://management.azure.com/ works as well as one for the server's own endpoint", async () => {
    const sp = await principalWithRole(srv, "arm-azure-audience", "Reader");
    for (const scope of ["https://management.azure.com/.default", "https://management.azure.com//.default"]) {
      const client = armClient(srv, sp, { credentialScopes: scope });
      expect((await client.communicationServices.get("rg-apps", "contoso-a")).name).toBe("contoso-a");
    }
  });
});
