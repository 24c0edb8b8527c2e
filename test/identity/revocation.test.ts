import { CommunicationIdentityClient } from "@azure/communication-identity";
import { generateKeyPairSync, sign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { introspect } from "../support/introspect.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

describe.each(backendNames)("revocation, deletion and key regeneration (%s)", (backend) => {
  let srv: TestServer;
  const client = (key: "primary" | "secondary" = "primary") =>
    new CommunicationIdentityClient(srv.connectionString("http", key), { allowInsecureConnection: true });

  beforeAll(async () => {
    srv = await startTestServer({ backend });
  });
  afterAll(async () => {
    await srv.close();
  });

  it("introspection describes an active token", async () => {
    const { user, token, expiresOn } = await client().createUserAndToken(["chat", "voip.join"]);
    expect(await introspect(srv, token)).toEqual({
      active: true,
      identity: user.communicationUserId,
      scopes: ["chat", "voip.join"],
      expiresOn: expiresOn.toISOString(),
      issuedOn: expect.any(String),
      tokenId: expect.any(String),
    });
  });

  it("revoke invalidates every earlier token and none issued after it, within the same second", async () => {
    const c = client();
    const user = await c.createUser();
    const first = await c.getToken(user, ["chat"]);
    const second = await c.getToken(user, ["voip"]);
    await c.revokeTokens(user);
    const after = await c.getToken(user, ["chat"]);
    // All three were issued within the same second or two: iat alone could not tell them apart.
    expect((await introspect(srv, first.token)).active).toBe(false);
    expect((await introspect(srv, second.token)).active).toBe(false);
    expect((await introspect(srv, after.token)).active).toBe(true);
    await c.revokeTokens(user);
    expect((await introspect(srv, after.token)).active).toBe(false);
  });

  it("deleting the identity invalidates all of its tokens", async () => {
    const c = client();
    const { user, token } = await c.createUserAndToken(["chat"]);
    await c.deleteUser(user);
    expect(await introspect(srv, token)).toEqual({ active: false });
    await expect(c.deleteUser(user)).rejects.toMatchObject({ statusCode: 404 });
  });

  it("regenerating a key invalidates the tokens issued through it, and only those", async () => {
    const viaPrimary = await client("primary").createUserAndToken(["chat"]);
    const viaSecondary = await client("secondary").createUserAndToken(["chat"]);
    await srv.server.core.resources.regenerateKey(srv.resource.id, "primary");
    await srv.server.core.registry.settled();
    expect((await introspect(srv, viaPrimary.token)).active).toBe(false);
    expect((await introspect(srv, viaSecondary.token)).active).toBe(true);
    // The new primary key works and issues live tokens.
    const fresh = await client("primary").getToken(viaPrimary.user, ["chat"]);
    expect((await introspect(srv, fresh.token)).active).toBe(true);
  });

  it("tokens with a bad signature, a foreign key, or garbage are inactive", async () => {
    const { token } = await client().createUserAndToken(["chat"]);
    const [h, p, s] = token.split(".");
    const flipped = `${h}.${p}.${s!.startsWith("A") ? "B" : "A"}${s!.slice(1)}`;
    expect(await introspect(srv, flipped)).toEqual({ active: false });
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const forged = `${h}.${p}.${sign("sha256", Buffer.from(`${h}.${p}`), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url")}`;
    expect(await introspect(srv, forged)).toEqual({ active: false });
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${p}.`;
    expect(await introspect(srv, none)).toEqual({ active: false });
    expect(await introspect(srv, "not-a-token")).toEqual({ active: false });
  });

  it("a token of another resource is inactive here", async () => {
    const other = await srv.server.core.resources.create(`other-${backend}`, ["other.example:443"]);
    await srv.server.core.registry.settled();
    await srv.server.core.registry.load();
    const created = await srv.server.core.identities.create(other, { kind: "operator", name: "test" }, { scopes: ["chat"] });
    expect(await introspect(srv, created.accessToken!.token)).toEqual({ active: false });
  });
});
