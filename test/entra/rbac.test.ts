import { writeFileSync } from "node:fs";
import path from "node:path";
import { ClientSecretCredential, UsernamePasswordCredential } from "@azure/identity";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { createSp, driveIdentityApi, runCli, within, type CreatedSp } from "./entra-support.js";

const ACS = "Microsoft.Communication/CommunicationServices";

describe.each(backendNames)("role-based access for Entra principals (%s)", (backend) => {
  let srv: TestServer;
  let keyClient: CommunicationIdentityClient;
  const clientFor = (sp: CreatedSp) =>
    new CommunicationIdentityClient(
      `${srv.httpsUrl}/`,
      new ClientSecretCredential(sp.tenantId, sp.clientId, sp.clientSecret!, { authorityHost: srv.httpsUrl, disableInstanceDiscovery: true }),
    );

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    keyClient = new CommunicationIdentityClient(srv.connectionString("https"));
  });
  afterAll(async () => {
    await srv.close();
  });

  async function expectDenied(client: CommunicationIdentityClient): Promise<void> {
    await expect(client.createUser()).rejects.toMatchObject({
      statusCode: 403,
      code: "AuthorizationFailed",
      message: expect.stringContaining(`${ACS}/identities/write`),
    });
    const user = await keyClient.createUser();
    await expect(client.getToken(user, ["chat"])).rejects.toMatchObject({
      statusCode: 403,
      code: "AuthorizationFailed",
      message: expect.stringContaining(`${ACS}/identities/issueAccessToken/action`),
    });
  }

  it("a principal with no role gets 403 on create and on token issue, naming the missing permission", async () => {
    const sp = await createSp(srv, "no-role");
    await expectDenied(clientFor(sp));
  });

  it("a Reader gets 403 on create and on token issue", async () => {
    const sp = await createSp(srv, "reader", ["--role", "Reader"]);
    await expectDenied(clientFor(sp));
  });

  it("a Contributor succeeds; removing the assignment turns success into 403 within a second, for the token already issued", async () => {
    const sp = await createSp(srv, "contributor");
    await runCli(srv, ["role", "assign", "--principal", sp.clientId, "--role", "Contributor", "--resource", srv.resource.id]);
    const client = clientFor(sp);
    const user = await client.createUser();
    expect((await client.getToken(user, ["chat"])).token.split(".")).toHaveLength(3);

    const listed = JSON.parse(await runCli(srv, ["role", "list", "--principal", sp.objectId, "--json"]));
    expect(listed).toEqual([{ principalId: sp.objectId, principalName: "contributor", role: "Contributor", scope: srv.resource.id }]);

    // The CLI is another process's view of the store: the server learns of the change through the change feed.
    await runCli(srv, ["role", "remove", "--principal", sp.clientId, "--role", "Contributor", "--resource", srv.resource.id]);
    const elapsed = await within(1000, async () => {
      try {
        await client.createUser();
        return false;
      } catch (err) {
        return (err as { statusCode?: number }).statusCode === 403;
      }
    });
    expect(elapsed).toBeLessThanOrEqual(1000);
    await expectDenied(client);
  });

  it("a role another process assigns counts on the principal's next request, without waiting for the change feed's poll", async () => {
    const slow = await startTestServer({ backend, config: { invalidationPollMs: 5000 } });
    try {
      const sp = await createSp(slow, "late-grant");
      const client = new CommunicationIdentityClient(
        `${slow.httpsUrl}/`,
        new ClientSecretCredential(sp.tenantId, sp.clientId, sp.clientSecret!, { authorityHost: slow.httpsUrl, disableInstanceDiscovery: true }),
      );
      // The server holds a snapshot of the roles without this one...
      await expect(client.createUser()).rejects.toMatchObject({ statusCode: 403, code: "AuthorizationFailed" });
      // ...when the CLI (another view of the store) assigns it; the next poll is seconds away.
      await runCli(slow, ["role", "assign", "--principal", sp.clientId, "--role", "Contributor", "--resource", slow.resource.id]);
      expect((await client.createUser()).communicationUserId).toMatch(new RegExp(`^8:acs:${slow.resource.id}_`));
    } finally {
      await slow.close();
    }
  });

  it("Communication and Email Service Owner and Owner may do everything; an assignment on every resource counts", async () => {
    for (const role of ["Communication and Email Service Owner", "Owner"]) {
      const sp = await createSp(srv, `all-${role}`, ["--role", role]);
      await driveIdentityApi(srv, clientFor(sp));
    }
  });

  it("a custom role from JSON grants exactly its actions", async () => {
    const file = path.join(srv.dataDir, "creator-role.json");
    // Azure's own role JSON shape (PascalCase, permissions array) is accepted.
    writeFileSync(file, JSON.stringify({ Name: "Identity Creator", Description: "may create users", Permissions: [{ Actions: [`${ACS}/identities/write`], NotActions: [] }] }));
    await runCli(srv, ["role", "create", "--file", file]);
    const defs = JSON.parse(await runCli(srv, ["role", "definitions", "--json"])) as Array<{ name: string; builtIn: boolean }>;
    expect(defs.map((d) => d.name)).toEqual(
      expect.arrayContaining(["Owner", "Contributor", "Reader", "Communication and Email Service Owner", "Identity Creator"]),
    );
    const sp = await createSp(srv, "creator", ["--role", "Identity Creator"]);
    const client = clientFor(sp);
    const user = await client.createUser();
    expect(user.communicationUserId).toMatch(new RegExp(`^8:acs:${srv.resource.id}_`));
    await expect(client.getToken(user, ["chat"])).rejects.toMatchObject({ statusCode: 403, code: "AuthorizationFailed" });
  });

  it("an assignment scoped to another resource does not count", async () => {
    const sp = await createSp(srv, "elsewhere");
    await srv.server.core.entra.roles.assign(sp.objectId, "Contributor", "9b0e0f7a-0000-4000-8000-000000000000");
    await expect(clientFor(sp).createUser()).rejects.toMatchObject({ statusCode: 403, code: "AuthorizationFailed" });
  });

  it("a built-in user named in role assign acts with a delegated token under its role", async () => {
    const app = await createSp(srv, "public-client");
    await runCli(srv, ["user", "create", "--name", "operator@contoso.test", "--password", "operator password"]);
    const client = new CommunicationIdentityClient(
      `${srv.httpsUrl}/`,
      new UsernamePasswordCredential(app.tenantId, app.clientId, "operator@contoso.test", "operator password", {
        authorityHost: srv.httpsUrl,
        disableInstanceDiscovery: true,
      }),
    );
    await expect(client.createUser()).rejects.toMatchObject({ statusCode: 403, code: "AuthorizationFailed" });
    await runCli(srv, ["role", "assign", "--principal", "operator@contoso.test", "--role", "Contributor"]);
    const elapsed = await within(1000, async () => {
      try {
        return (await client.createUser()).communicationUserId.startsWith("8:acs:");
      } catch {
        return false;
      }
    });
    expect(elapsed).toBeLessThanOrEqual(1000);
    await driveIdentityApi(srv, client);
  });

  it("access keys keep full access", async () => {
    await driveIdentityApi(srv, keyClient);
  });
});
