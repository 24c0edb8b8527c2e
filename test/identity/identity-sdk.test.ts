import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/test-server.js";

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.close();
});

describe.each([
  ["https", () => new CommunicationIdentityClient(srv.connectionString("https"))],
  ["http", () => new CommunicationIdentityClient(srv.connectionString("http"), { allowInsecureConnection: true })],
] as const)("Identity API through @azure/communication-identity over %s", (_scheme, makeClient) => {
  it("creates a user without a token", async () => {
    const user = await makeClient().createUser();
    expect(user.communicationUserId).toMatch(new RegExp(`^8:acs:${srv.resource.id}_[0-9a-f-]{36}$`));
  });

  it("creates a user with a token whose expiresOn equals its exp claim", async () => {
    const before = Date.now();
    const { user, token, expiresOn } = await makeClient().createUserAndToken(["chat", "voip"], { tokenExpiresInMinutes: 90 });
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
    expect(claims.sub).toBe(user.communicationUserId);
    expect(claims.scope).toBe("chat voip");
    expect(claims.resourceId).toBe(srv.resource.id);
    expect(expiresOn.getTime()).toBe(claims.exp * 1000);
    expect(claims.exp - claims.iat).toBe(90 * 60);
    expect(claims.iat * 1000).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  });

  it("issues, revokes and deletes", async () => {
    const client = makeClient();
    const user = await client.createUser();
    const issued = await client.getToken(user, ["chat.join"]);
    expect(issued.token.split(".")).toHaveLength(3);
    await client.revokeTokens(user);
    await client.deleteUser(user);
    await expect(client.getToken(user, ["chat"])).rejects.toMatchObject({ statusCode: 404, code: "IdentityNotFound" });
  });
});
