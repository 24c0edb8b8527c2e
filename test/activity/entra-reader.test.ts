import { ClientSecretCredential } from "@azure/identity";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ACS_SCOPE, createSp, type CreatedSp } from "../entra/entra-support.js";

/** GET /activity for Entra principals: the permission row `…/activity/read` grants it to a Reader, not to a principal without a role. */
describe.each(backendNames)("activity read permission for Entra principals (%s)", (backend) => {
  let srv: TestServer;
  let identity: string;
  const credentialOf = (sp: CreatedSp) =>
    new ClientSecretCredential(sp.tenantId, sp.clientId, sp.clientSecret!, { authorityHost: srv.httpsUrl, disableInstanceDiscovery: true });
  const readAs = async (sp: CreatedSp) => {
    const { token } = (await credentialOf(sp).getToken(ACS_SCOPE))!;
    const res = await fetch(`${srv.httpsUrl}/activity?identity=${encodeURIComponent(identity)}&api-version=2025-06-30`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as { value?: Array<{ operation: string; principal: string }>; error?: { code: string; message: string } } };
  };

  beforeAll(async () => {
    srv = await startTestServer({ backend });
  });
  afterAll(async () => {
    await srv.close();
  });

  it("a Reader reads; a principal without a role gets 403 naming the permission; an Owner's operations carry its principal", async () => {
    const owner = await createSp(srv, "activity-owner", ["--role", "Owner"]);
    const client = new CommunicationIdentityClient(`${srv.httpsUrl}/`, credentialOf(owner));
    identity = (await client.createUser()).communicationUserId;
    await client.getToken({ communicationUserId: identity }, ["chat"]);
    await srv.server.core.activity.flush();

    const reader = await readAs(await createSp(srv, "activity-reader", ["--role", "Reader"]));
    expect(reader.status).toBe(200);
    expect(reader.body.value!.map((e) => [e.operation, e.principal])).toEqual([
      ["identity.issueAccessToken", `sp:${owner.objectId}`],
      ["identity.create", `sp:${owner.objectId}`],
    ]);

    const unassigned = await readAs(await createSp(srv, "activity-nobody"));
    expect(unassigned.status).toBe(403);
    expect(unassigned.body.error!.code).toBe("AuthorizationFailed");
    expect(unassigned.body.error!.message).toContain("Microsoft.Communication/CommunicationServices/activity/read");
  });
});
