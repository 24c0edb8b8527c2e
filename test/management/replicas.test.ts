import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { armClient, principalWithRole, within } from "./arm-support.js";

const works = async (cs: string) => {
  try {
    await new CommunicationIdentityClient(cs, { retryOptions: { maxRetries: 0 } }).createUser();
    return true;
  } catch {
    return false;
  }
};

/** Two servers on one store (the same SQLite file, or one PostgreSQL schema): replicas as far as resources go. */
describe.each(backendNames)("resource changes reach a second replica within one second (%s)", (backend) => {
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    a = await startTestServer({ backend });
    b =
      backend === "postgres"
        ? await startTestServer({ backend, config: { databaseUrl: a.server.core.config.databaseUrl! } })
        : await startTestServer({ dataDir: a.dataDir });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it("create, regenerateKey and delete on A are enforced by B", async () => {
    expect(b.server.core.management.subscriptionId).toBe(a.server.core.management.subscriptionId);
    const sp = await principalWithRole(a, "replica-owner", "Owner");
    const onA = armClient(a, sp);
    const onB = armClient(b, sp);
    await onA.communicationServices.beginCreateOrUpdateAndWait("rg-rep", "rep-one", { location: "global", dataLocation: "Europe" });

    // B opens its own listener for the new resource; its listKeys names B's endpoint.
    let keysAtB = "";
    const created = await within(1000, async () => {
      try {
        keysAtB = (await onB.communicationServices.listKeys("rg-rep", "rep-one")).primaryConnectionString!;
        return works(keysAtB);
      } catch {
        return false;
      }
    });
    expect(created).toBeLessThanOrEqual(1000);

    await onA.communicationServices.regenerateKey("rg-rep", "rep-one", { keyType: "Primary" });
    expect(await within(1000, async () => !(await works(keysAtB)))).toBeLessThanOrEqual(1000);
    keysAtB = (await onB.communicationServices.listKeys("rg-rep", "rep-one")).primaryConnectionString!;
    expect(await works(keysAtB)).toBe(true);

    await onA.communicationServices.beginDeleteAndWait("rg-rep", "rep-one");
    const goneAtB = async () => {
      try {
        await onB.communicationServices.get("rg-rep", "rep-one");
        return false;
      } catch (err) {
        return (err as { statusCode?: number }).statusCode === 404 && !(await works(keysAtB));
      }
    };
    expect(await within(1000, goneAtB)).toBeLessThanOrEqual(1000);
    // Its group held nothing else, so the group is gone too (resource groups live while they hold a resource).
    await expect(onB.communicationServices.get("rg-rep", "rep-one")).rejects.toMatchObject({ statusCode: 404, code: "ResourceGroupNotFound" });
  });
});
