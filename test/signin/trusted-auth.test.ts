import https from "node:https";
import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { decodeClaims } from "../entra/entra-support.js";
import { signInOverHttp } from "./headless-signin.js";
import { recordSecrets, runSigninCli } from "./signin-support.js";

const PASSWORD = "correct-horse-42";

interface Info {
  baseUrl: string;
  clientId: string;
  apiScope: string;
  resource: string;
}

describe.each(backendNames)("the trusted authentication service (hero sample API) (%s)", (backend) => {
  let srv: TestServer;
  let info: Info;
  let authority: string;
  const tokens: Record<string, string> = {};

  const api = (path: string, token: string | undefined, init: RequestInit = {}) =>
    fetch(`${info.baseUrl}${path}`, { ...init, headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(init.headers as Record<string, string>) } });
  const signIn = async (username: string, scope: string) =>
    signInOverHttp({ authority, clientId: info.clientId, redirectUri: `${info.baseUrl}/sample`, scope, username, password: PASSWORD });

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    for (const name of ["alice", "bob"]) await runSigninCli(srv, ["user", "create", "--name", name, "--password", PASSWORD]);
    info = JSON.parse(await runSigninCli(srv, ["trusted-auth", "info", "--json", "--endpoint", srv.httpsUrl])) as Info;
    authority = `${srv.httpsUrl}/${srv.server.core.entra.keys.tenantId}`;
    for (const name of ["alice", "bob"]) tokens[name] = (await signIn(name, `${info.apiScope} openid offline_access`)).access_token as string;
  }, 60_000);
  afterAll(async () => {
    await srv?.close();
  });

  it("trusted-auth info --json prints exactly baseUrl, clientId, apiScope and resource; running it again changes nothing", async () => {
    expect(Object.keys(info).sort()).toEqual(["apiScope", "baseUrl", "clientId", "resource"]);
    expect(info).toMatchObject({ baseUrl: `${srv.httpsUrl}/trusted-auth`, apiScope: `api://${info.clientId}/access_as_user`, resource: srv.resource.name });
    expect(JSON.parse(await runSigninCli(srv, ["trusted-auth", "info", "--json", "--endpoint", srv.httpsUrl]))).toEqual(info);
    expect(decodeClaims(tokens.alice!)).toMatchObject({ aud: info.clientId, scp: "access_as_user" });
  });

  it("two users get two stable identities: POST 201 then 200, GET 200; before that GET 404", async () => {
    expect((await api("/api/user", tokens.alice)).status).toBe(404);
    const created = await api("/api/user", tokens.alice, { method: "POST" });
    expect(created.status).toBe(201);
    const alice = ((await created.json()) as { acsUserIdentity: string }).acsUserIdentity;
    expect(alice).toMatch(new RegExp(`^8:acs:${srv.resource.id}_`));
    const again = await api("/api/user", tokens.alice, { method: "POST" });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ acsUserIdentity: alice });
    expect(await (await api("/api/user", tokens.alice)).json()).toEqual({ acsUserIdentity: alice });
    const bob = (await (await api("/api/user", tokens.bob, { method: "POST" })).json()) as { acsUserIdentity: string };
    expect(bob.acsUserIdentity).not.toBe(alice);
    // A fresh sign-in of the same user maps to the same identity.
    const aliceAgain = (await signIn("alice", info.apiScope)).access_token as string;
    expect(await (await api("/api/user", aliceAgain)).json()).toEqual({ acsUserIdentity: alice });
    const listed = JSON.parse(await runSigninCli(srv, ["trusted-auth", "mappings", "--json"])) as Array<Record<string, string>>;
    expect(listed.map((m) => m.acsUserIdentity).sort()).toEqual([alice, bob.acsUserIdentity].sort());
    expect(listed[0]).toMatchObject({ resource: srv.resource.name, tenantId: srv.server.core.entra.keys.tenantId });
    // The activity record lists the mapping under the ACS identity.
    await srv.server.core.activity.flush();
    const events = await srv.server.core.activityRepository.query({ identity: alice, operation: "trusted-auth.*", limit: 10 });
    expect(events.events.map((e) => e.operation)).toEqual(expect.arrayContaining(["trusted-auth.user.create", "trusted-auth.user.get"]));
  });

  it("GET /api/token returns 201 {token, expiresOn, user}; the token works with the Chat SDK", async () => {
    const res = await api("/api/token", tokens.alice);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { token: string; expiresOn: string; user: { communicationUserId: string } };
    expect(Object.keys(body).sort()).toEqual(["expiresOn", "token", "user"]);
    expect(decodeClaims(body.token)).toMatchObject({ sub: body.user.communicationUserId, scope: "chat voip" });
    recordSecrets([body.token]);
    const chat = new ChatClient(`${srv.httpsUrl}/`, new AzureCommunicationTokenCredential(body.token));
    const thread = await chat.createChatThread({ topic: "trusted auth" });
    expect(thread.chatThread?.topic).toBe("trusted auth");
  });

  it("no token, a token for another audience and a token without access_as_user are refused", async () => {
    const none = await api("/api/user", undefined);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: "MissingAuthorization" } });
    const acsToken = (await signIn("alice", "https://communication.azure.com/clients/VoIP")).access_token as string;
    const wrongAudience = await api("/api/token", acsToken);
    expect(wrongAudience.status).toBe(401);
    expect(await wrongAudience.json()).toMatchObject({ error: { code: "InvalidTokenAudience" } });
    const idOnly = (await signIn("alice", "openid profile")) as Record<string, string>;
    expect((await api("/api/token", idOnly.id_token)).status).toBe(401);
    const garbage = await api("/api/token", "not.a.jwt");
    expect(garbage.status).toBe(401);
  });

  it("the Teams route exchanges the caller's Teams token (teams-user-aad-token) for an ACS token", async () => {
    const teams = (await signIn("bob", "https://auth.msft.communication.azure.com/Teams.ManageCalls https://auth.msft.communication.azure.com/Teams.ManageChats")).access_token as string;
    const res = await api("/api/token/teams", tokens.bob, { headers: { "teams-user-aad-token": teams } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { token: string; expiresOn: string };
    expect(Object.keys(body).sort()).toEqual(["expiresOn", "token"]);
    expect(decodeClaims(body.token).sub).toBe(`8:orgid:${decodeClaims(teams).oid}`);
    // Alice may not exchange Bob's Teams token (the exchange's own check: the user ids differ).
    const stolen = await api("/api/token/teams", tokens.alice, { headers: { "teams-user-aad-token": teams } });
    expect(stolen.status).toBe(400);
    expect(await stolen.json()).toMatchObject({ error: { code: "TeamsUserIdMismatch" } });
    expect((await api("/api/token/teams", tokens.bob)).status).toBe(400);
  });

  it("is enabled per resource; the same user maps to one identity per resource", async () => {
    const other = await srv.server.core.resources.create("contoso", ["contoso.localhost"]);
    await srv.server.core.registry.settled();
    // Over HTTPS: bearer tokens are refused on plain HTTP (SECURITY.md).
    const port = Number(new URL(srv.httpsUrl).port);
    const onContoso = (method: string) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = https.request({ host: "127.0.0.1", port, servername: "localhost", method, path: "/trusted-auth/api/user", headers: { host: "contoso.localhost", authorization: `Bearer ${tokens.alice}` } }, (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve({ status: res.statusCode!, body: text === "" ? undefined : JSON.parse(text) }));
        });
        req.on("error", reject);
        req.end();
      });
    expect(await onContoso("POST")).toMatchObject({ status: 404, body: { error: { code: "NotFound" } } });
    await runSigninCli(srv, ["trusted-auth", "info", "--resource", "contoso", "--endpoint", srv.httpsUrl]);
    const created = await onContoso("POST");
    expect(created.status).toBe(201);
    expect(created.body.acsUserIdentity).toMatch(new RegExp(`^8:acs:${other.id}_`));
    const onDefault = (await (await api("/api/user", tokens.alice)).json()) as { acsUserIdentity: string };
    expect(onDefault.acsUserIdentity).toMatch(new RegExp(`^8:acs:${srv.resource.id}_`));
    const contosoOnly = JSON.parse(await runSigninCli(srv, ["trusted-auth", "mappings", "--resource", "contoso", "--json"])) as Array<Record<string, string>>;
    expect(contosoOnly.map((m) => m.acsUserIdentity)).toEqual([created.body.acsUserIdentity]);
  });

  it("DELETE /api/user: 204, deletes the ACS identity; then GET user and token are 404 and its chat token stops working", async () => {
    const token = (await (await api("/api/token", tokens.bob)).json()) as { token: string };
    const res = await api("/api/user", tokens.bob, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect((await api("/api/user", tokens.bob)).status).toBe(404);
    expect((await api("/api/token", tokens.bob)).status).toBe(404);
    expect((await api("/api/user", tokens.bob, { method: "DELETE" })).status).toBe(404);
    const chat = new ChatClient(`${srv.httpsUrl}/`, new AzureCommunicationTokenCredential(token.token));
    await expect(chat.createChatThread({ topic: "gone" })).rejects.toMatchObject({ statusCode: 401 });
    // Bob signs up again: a new identity.
    expect((await api("/api/user", tokens.bob, { method: "POST" })).status).toBe(201);
  });
});
