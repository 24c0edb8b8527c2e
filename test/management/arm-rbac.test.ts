import { CommunicationIdentityClient } from "@azure/communication-identity";
import type { CommunicationServiceManagementClient } from "@azure/arm-communication";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { runCli } from "../entra/entra-support.js";
import { armClient, credentialOf, principalWithRole } from "./arm-support.js";

const CS = "Microsoft.Communication/CommunicationServices";
const denied = (action: string, scope: string) => ({
  statusCode: 403,
  code: "AuthorizationFailed",
  message: expect.stringMatching(new RegExp(`action '${action.replace(/[/.]/g, "\\$&")}' over scope '${scope.replace(/[/.]/g, "\\$&")}'`, "i")),
});

describe.each(backendNames)("management plane RBAC on ARM scopes (%s)", (backend) => {
  let srv: TestServer;
  let owner: CommunicationServiceManagementClient;
  let sub: string;
  const armIdIn = (rg: string, name: string) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Communication/communicationServices/${name}`;

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    sub = srv.server.core.management.subscriptionId;
    owner = armClient(srv, await principalWithRole(srv, "owner", "Owner"));
    await owner.communicationServices.beginCreateOrUpdateAndWait("rg-one", "one-a", { location: "global", dataLocation: "United States" });
    await owner.communicationServices.beginCreateOrUpdateAndWait("rg-two", "two-a", { location: "global", dataLocation: "United States" });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("an Owner at subscription scope does everything", async () => {
    const r = await owner.communicationServices.beginCreateOrUpdateAndWait("rg-three", "three-a", { location: "global", dataLocation: "Europe" });
    expect(r.provisioningState).toBe("Succeeded");
    await owner.communicationServices.update("rg-three", "three-a", { tags: { a: "b" } });
    await owner.communicationServices.listKeys("rg-three", "three-a");
    await owner.communicationServices.regenerateKey("rg-three", "three-a", { keyType: "Secondary" });
    await owner.communicationServices.linkNotificationHub("rg-three", "three-a", {
      linkNotificationHubParameters: {
        resourceId: `/subscriptions/${sub}/resourceGroups/rg-three/providers/Microsoft.NotificationHubs/namespaces/ns/notificationHubs/hub`,
        connectionString: "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=DefaultFullSharedAccessSignature;SharedAccessKey=abc=",
      },
    });
    expect((await owner.communicationServices.get("rg-three", "three-a")).notificationHubId).toContain("/notificationHubs/hub");
    expect((await owner.communicationServices.checkNameAvailability({ name: "three-a", type: CS })).nameAvailable).toBe(false);
    await owner.communicationServices.beginDeleteAndWait("rg-three", "three-a");
  });

  it("a Reader gets and lists but cannot listKeys, regenerate, change or delete (403 naming action and scope)", async () => {
    const reader = armClient(srv, await principalWithRole(srv, "reader", "Reader"));
    expect((await reader.communicationServices.get("rg-one", "one-a")).name).toBe("one-a");
    const names = [];
    for await (const r of reader.communicationServices.listBySubscription()) names.push(r.name);
    expect(names).toContain("two-a");
    await expect(reader.communicationServices.listKeys("rg-one", "one-a")).rejects.toMatchObject(denied(`${CS}/ListKeys/action`, armIdIn("rg-one", "one-a")));
    await expect(reader.communicationServices.regenerateKey("rg-one", "one-a", { keyType: "Primary" })).rejects.toMatchObject(
      denied(`${CS}/RegenerateKey/action`, armIdIn("rg-one", "one-a")),
    );
    await expect(reader.communicationServices.update("rg-one", "one-a", { tags: { x: "y" } })).rejects.toMatchObject(denied(`${CS}/write`, armIdIn("rg-one", "one-a")));
    await expect(reader.communicationServices.beginDeleteAndWait("rg-one", "one-a")).rejects.toMatchObject(denied(`${CS}/delete`, armIdIn("rg-one", "one-a")));
    await expect(
      reader.communicationServices.beginCreateOrUpdateAndWait("rg-one", "reader-made", { location: "global", dataLocation: "Europe" }),
    ).rejects.toMatchObject(denied(`${CS}/write`, armIdIn("rg-one", "reader-made")));
  });

  it("a Contributor scoped to one resource group manages it and cannot touch another; lists show only its group", async () => {
    const contributor = armClient(srv, await principalWithRole(srv, "contributor-one", "Contributor", "rg:rg-one"));
    const made = await contributor.communicationServices.beginCreateOrUpdateAndWait("rg-one", "one-b", { location: "global", dataLocation: "Europe" });
    expect(made.name).toBe("one-b");
    const keys = await contributor.communicationServices.listKeys("rg-one", "one-b");
    await new CommunicationIdentityClient(keys.primaryConnectionString!).createUser();
    await expect(contributor.communicationServices.get("rg-two", "two-a")).rejects.toMatchObject(denied(`${CS}/read`, armIdIn("rg-two", "two-a")));
    await expect(contributor.communicationServices.listKeys("rg-two", "two-a")).rejects.toMatchObject(denied(`${CS}/ListKeys/action`, armIdIn("rg-two", "two-a")));
    await expect(
      contributor.communicationServices.beginCreateOrUpdateAndWait("rg-two", "two-b", { location: "global", dataLocation: "Europe" }),
    ).rejects.toMatchObject(denied(`${CS}/write`, armIdIn("rg-two", "two-b")));
    const listed = [];
    for await (const r of contributor.communicationServices.listBySubscription()) listed.push(r.name);
    expect(listed.sort()).toEqual(["one-a", "one-b"]);
    const inTwo = contributor.communicationServices.listByResourceGroup("rg-two");
    await expect(inTwo.next()).rejects.toMatchObject(denied(`${CS}/read`, `/subscriptions/${sub}/resourceGroups/rg-two`));
    await contributor.communicationServices.beginDeleteAndWait("rg-one", "one-b");
  });

  it("a principal with no role gets 403 everywhere, also on checkNameAvailability and lists", async () => {
    const nobody = armClient(srv, await principalWithRole(srv, "nobody"));
    await expect(nobody.communicationServices.get("rg-one", "one-a")).rejects.toMatchObject(denied(`${CS}/read`, armIdIn("rg-one", "one-a")));
    await expect(nobody.communicationServices.listBySubscription().next()).rejects.toMatchObject(denied(`${CS}/read`, `/subscriptions/${sub}`));
    await expect(nobody.communicationServices.checkNameAvailability({ name: "x", type: CS })).rejects.toMatchObject(
      denied("Microsoft.Communication/CheckNameAvailability/action", `/subscriptions/${sub}`),
    );
  });

  it("a role on one resource (by its ARM id) covers that resource's management and data plane only", async () => {
    const sp = await principalWithRole(srv, "one-resource");
    await runCli(srv, ["role", "assign", "--principal", sp.clientId, "--role", "Contributor", "--scope", armIdIn("rg-one", "one-a")]);
    const client = armClient(srv, sp);
    const keys = await client.communicationServices.listKeys("rg-one", "one-a");
    await expect(client.communicationServices.listKeys("rg-two", "two-a")).rejects.toMatchObject({ statusCode: 403 });
    // The data plane reads the same assignment: Entra ID against one-a's endpoint works, against two-a's it is refused.
    const endpointA = /endpoint=([^;]+);/.exec(keys.primaryConnectionString!)![1]!;
    await new CommunicationIdentityClient(endpointA, credentialOf(srv, sp)).createUser();
    const twoKeys = await owner.communicationServices.listKeys("rg-two", "two-a");
    const endpointB = /endpoint=([^;]+);/.exec(twoKeys.primaryConnectionString!)![1]!;
    await expect(new CommunicationIdentityClient(endpointB, credentialOf(srv, sp)).createUser()).rejects.toMatchObject({ statusCode: 403, code: "AuthorizationFailed" });
  });

  it("access keys and ACS-audience tokens are refused by the management plane (401)", async () => {
    const sp = await principalWithRole(srv, "acs-audience", "Owner");
    const acsAudience = armClient(srv, sp, { credentialScopes: "https://communication.azure.com//.default" });
    await expect(acsAudience.communicationServices.get("rg-one", "one-a")).rejects.toMatchObject({ statusCode: 401, code: "InvalidTokenAudience" });
    const res = await fetch(`${srv.httpsUrl}${armIdIn("rg-one", "one-a")}?api-version=2025-09-01`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: "MissingAuthorization", message: expect.any(String) } });
  });
});
