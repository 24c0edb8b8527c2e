import { CommunicationIdentityClient } from "@azure/communication-identity";
import { describe, expect, it } from "vitest";
import { backendConfig, backendNames } from "../support/backends.js";
import { introspect } from "../support/introspect.js";
import { startTestServer } from "../support/test-server.js";

describe.each(backendNames)("a restart on the same store (%s)", (backend) => {
  it("keeps resources, keys, identities, signing keys and valid tokens", async () => {
    const storage = await backendConfig(backend);
    const first = await startTestServer({ config: storage });
    const resource = first.currentResource();
    const client = new CommunicationIdentityClient(first.connectionString("http"), { allowInsecureConnection: true });
    const { user, token } = await client.createUserAndToken(["chat"]);
    const revokedUser = await client.createUser();
    const revokedToken = (await client.getToken(revokedUser, ["voip"])).token;
    await client.revokeTokens(revokedUser);
    const oldKid = first.server.core.keyRing.activeKid;
    const newKid = await first.server.core.keyRing.rotate();
    await first.close();

    const second = await startTestServer({ dataDir: first.dataDir, config: storage });
    try {
      const again = second.currentResource();
      expect(again.id).toBe(resource.id);
      expect(again.keys.primary.value).toBe(resource.keys.primary.value);
      expect(again.keys.secondary.value).toBe(resource.keys.secondary.value);
      expect(second.server.core.keyRing.activeKid).toBe(newKid);
      const kids = second.server.core.keyRing.jwks().keys.map((k) => k.kid);
      expect(kids).toContain(oldKid);
      expect(await introspect(second, token)).toMatchObject({ active: true, identity: user.communicationUserId });
      expect(await introspect(second, revokedToken)).toEqual({ active: false });
      // The identity still exists: a new token can be issued for it with the same connection string.
      const client2 = new CommunicationIdentityClient(second.connectionString("http"), { allowInsecureConnection: true });
      const fresh = await client2.getToken(user, ["chat"]);
      expect((await introspect(second, fresh.token)).active).toBe(true);
    } finally {
      await second.close();
    }
  });
});

describe("pinned keys", () => {
  it("a resource id and keys given in config are used, so CI can use a fixed connection string", async () => {
    const primaryKey = Buffer.alloc(32, 1).toString("base64");
    const secondaryKey = Buffer.alloc(32, 2).toString("base64");
    const id = "0a0b0c0d-0000-4000-8000-000000000001";
    const srv = await startTestServer({ config: { resource: { name: "pinned", id, primaryKey, secondaryKey } } });
    try {
      expect(srv.currentResource()).toMatchObject({ id, keys: { primary: { value: primaryKey }, secondary: { value: secondaryKey } } });
      const client = new CommunicationIdentityClient(`endpoint=${srv.httpUrl}/;accesskey=${primaryKey}`, { allowInsecureConnection: true });
      expect((await client.createUser()).communicationUserId).toMatch(new RegExp(`^8:acs:${id}_`));
    } finally {
      await srv.close();
    }
  });
});
