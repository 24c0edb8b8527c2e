import { ClientSecretCredential, UsernamePasswordCredential } from "@azure/identity";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { backendNames } from "../support/backends.js";
import { introspect } from "../support/introspect.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ACS_SCOPE, createSp, decodeClaims, runCli, type CreatedSp } from "./entra-support.js";

const TEAMS_SCOPE = "https://auth.msft.communication.azure.com/Teams.ManageCalls";
const PASSWORD = "correct horse battery";

/** A TokenCredential that hands out a fixed token (to present app tokens or foreign tokens to the exchange). */
const fixed = (token: string): TokenCredential => ({
  getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }),
});

/** common's exchange surfaces a refusal as `Service request failed. Status: <n>, Body: <ACS error>`. */
const exchangeRefusal = (code: string) => new RegExp(`Status: 401, Body: \\{"error":\\{"code":"${code}"`);

describe.each(backendNames)("Teams and Entra user token exchanges (%s)", (backend) => {
  let srv: TestServer;
  let app: CreatedSp;
  let alice: { objectId: string };
  let bob: { objectId: string };
  let keyClient: CommunicationIdentityClient;
  const userCredential = (name: string, clientId = app.clientId) =>
    new UsernamePasswordCredential(app.tenantId, clientId, name, PASSWORD, { authorityHost: srv.httpsUrl, disableInstanceDiscovery: true });

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    app = await createSp(srv, "teams-app", ["--role", "Contributor"]);
    alice = JSON.parse(await runCli(srv, ["user", "create", "--name", "alice@contoso.test", "--password", PASSWORD, "--json"]));
    bob = JSON.parse(await runCli(srv, ["user", "create", "--name", "bob@contoso.test", "--password", PASSWORD, "--json"]));
    keyClient = new CommunicationIdentityClient(srv.connectionString("https"));
  });
  afterAll(async () => {
    await srv.close();
  });

  describe("getTokenForTeamsUser", () => {
    it("exchanges a Teams user token for an ACS token of 8:orgid:<oid> that expires with the Entra token", async () => {
      const teams = await userCredential("alice@contoso.test").getToken(TEAMS_SCOPE);
      const entraClaims = decodeClaims(teams.token);
      expect(entraClaims).toMatchObject({ oid: alice.objectId, appid: app.clientId, aud: "https://auth.msft.communication.azure.com", idtyp: "user" });

      const acs = await keyClient.getTokenForTeamsUser({ teamsUserAadToken: teams.token, clientId: app.clientId, userObjectId: alice.objectId });
      const claims = decodeClaims(acs.token);
      expect(claims.sub).toBe(`8:orgid:${alice.objectId}`);
      expect(claims.exp).toBe(entraClaims.exp);
      expect(acs.expiresOn.getTime()).toBe(claims.exp * 1000);
      // The ordinary user-token check accepts it: the identity has its row.
      expect(await introspect(srv, acs.token)).toMatchObject({ active: true, identity: `8:orgid:${alice.objectId}` });
    });

    it("works with an Entra credential (Contributor) as the caller too", async () => {
      const teams = await userCredential("bob@contoso.test").getToken(TEAMS_SCOPE);
      const entraClient = new CommunicationIdentityClient(
        `${srv.httpsUrl}/`,
        new ClientSecretCredential(app.tenantId, app.clientId, app.clientSecret!, { authorityHost: srv.httpsUrl, disableInstanceDiscovery: true }),
      );
      const acs = await entraClient.getTokenForTeamsUser({ teamsUserAadToken: teams.token, clientId: app.clientId, userObjectId: bob.objectId });
      expect(decodeClaims(acs.token).sub).toBe(`8:orgid:${bob.objectId}`);
    });

    // ACS's recorded answers (teams-exchange-errors.ts); Switchboard's own reason is in the request log.
    // A refusal's line is written when its response has finished, which the client can see first: checks wait for it.
    const refusedBecause = () => srv.readLog().split("\n").filter((l) => l.includes('"refusedBecause"')).map((l) => JSON.parse(l).fields.refusedBecause).at(-1);
    const invalidAccessToken = { statusCode: 401, code: "InvalidAccessToken", message: "Provided access token is not valid." };

    it("refuses an appId that is not the token's appid (400 ValidationError, as ACS)", async () => {
      const teams = await userCredential("alice@contoso.test").getToken(TEAMS_SCOPE);
      await expect(
        keyClient.getTokenForTeamsUser({ teamsUserAadToken: teams.token, clientId: "00000000-0000-0000-0000-00000000000a", userObjectId: alice.objectId }),
      ).rejects.toMatchObject({ statusCode: 400, code: "ValidationError", message: "Provided AppId has invalid format." });
      await vi.waitFor(() => expect(refusedBecause()).toBe("TeamsAppIdMismatch"));
    });

    it("refuses a userId that is not the token's oid (400 ValidationError, as ACS)", async () => {
      const teams = await userCredential("alice@contoso.test").getToken(TEAMS_SCOPE);
      await expect(
        keyClient.getTokenForTeamsUser({ teamsUserAadToken: teams.token, clientId: app.clientId, userObjectId: bob.objectId }),
      ).rejects.toMatchObject({ statusCode: 400, code: "ValidationError", message: "Provided UserId has invalid format." });
      await vi.waitFor(() => expect(refusedBecause()).toBe("TeamsUserIdMismatch"));
    });

    it("refuses an application token (401 InvalidAccessToken; logged UserTokenRequired)", async () => {
      const appToken = await new ClientSecretCredential(app.tenantId, app.clientId, app.clientSecret!, {
        authorityHost: srv.httpsUrl,
        disableInstanceDiscovery: true,
      }).getToken("https://auth.msft.communication.azure.com/.default");
      expect(decodeClaims(appToken.token)).toMatchObject({ aud: "https://auth.msft.communication.azure.com", idtyp: "app" });
      await expect(
        keyClient.getTokenForTeamsUser({ teamsUserAadToken: appToken.token, clientId: app.clientId, userObjectId: app.objectId }),
      ).rejects.toMatchObject(invalidAccessToken);
      await vi.waitFor(() => expect(refusedBecause()).toBe("UserTokenRequired"));
    });

    it("refuses a user token for another resource than Teams (401 InvalidAccessToken; logged InvalidTokenAudience)", async () => {
      const acsUserToken = await userCredential("alice@contoso.test").getToken("https://communication.azure.com/clients/.default");
      await expect(
        keyClient.getTokenForTeamsUser({ teamsUserAadToken: acsUserToken.token, clientId: app.clientId, userObjectId: alice.objectId }),
      ).rejects.toMatchObject(invalidAccessToken);
      await vi.waitFor(() => expect(refusedBecause()).toBe("InvalidTokenAudience"));
    });

    it("refuses an expired, a forged and an untrusted Teams token (401)", async () => {
      const now = Math.floor(Date.now() / 1000);
      const base = { aud: "https://auth.msft.communication.azure.com", tid: app.tenantId, oid: alice.objectId, sub: alice.objectId, appid: app.clientId, scp: "Teams.ManageCalls", iat: now, nbf: now };
      const iss = `${srv.httpsUrl}/${app.tenantId}/v2.0`;
      const expired = srv.server.core.entra.keys.sign({ ...base, iss, exp: now - 600 });
      const untrusted = srv.server.core.entra.keys.sign({ ...base, iss: "https://sts.example.com/x/", exp: now + 600 });
      const request = (t: string) => keyClient.getTokenForTeamsUser({ teamsUserAadToken: t, clientId: app.clientId, userObjectId: alice.objectId });
      await expect(request(expired)).rejects.toMatchObject(invalidAccessToken);
      await vi.waitFor(() => expect(refusedBecause()).toBe("TokenExpired"));
      await expect(request(untrusted)).rejects.toMatchObject(invalidAccessToken);
      await vi.waitFor(() => expect(refusedBecause()).toBe("UntrustedTokenIssuer"));
      await expect(request("garbage")).rejects.toMatchObject(invalidAccessToken);
      await vi.waitFor(() => expect(refusedBecause()).toBe("InvalidToken"));
    });

    it("refuses an Entra principal without a role (403)", async () => {
      const noRole = await createSp(srv, "teams-no-role");
      const teams = await userCredential("alice@contoso.test").getToken(TEAMS_SCOPE);
      const client = new CommunicationIdentityClient(
        `${srv.httpsUrl}/`,
        new ClientSecretCredential(noRole.tenantId, noRole.clientId, noRole.clientSecret!, { authorityHost: srv.httpsUrl, disableInstanceDiscovery: true }),
      );
      await expect(
        client.getTokenForTeamsUser({ teamsUserAadToken: teams.token, clientId: app.clientId, userObjectId: alice.objectId }),
      ).rejects.toMatchObject({ statusCode: 403, code: "AuthorizationFailed" });
    });
  });

  describe("AzureCommunicationTokenCredential({resourceEndpoint, tokenCredential})", () => {
    it("maps each Entra user to one stable communication identity, with a token the server accepts", async () => {
      const first = await new AzureCommunicationTokenCredential({ resourceEndpoint: srv.httpsUrl, tokenCredential: userCredential("alice@contoso.test") }).getToken();
      const again = await new AzureCommunicationTokenCredential({ resourceEndpoint: srv.httpsUrl, tokenCredential: userCredential("alice@contoso.test") }).getToken();
      const other = await new AzureCommunicationTokenCredential({ resourceEndpoint: srv.httpsUrl, tokenCredential: userCredential("bob@contoso.test") }).getToken();
      const [a1, a2, b] = [first, again, other].map((t) => decodeClaims(t.token));
      expect(a1!.sub).toMatch(new RegExp(`^8:acs:${srv.resource.id}_`));
      expect(a2!.sub).toBe(a1!.sub);
      expect(b!.sub).not.toBe(a1!.sub);
      expect(a1!.scope).toBe("chat voip");
      expect(first.expiresOnTimestamp).toBe(a1!.exp * 1000);
      expect(await introspect(srv, first.token)).toMatchObject({ active: true, identity: a1!.sub });
      // The identity is an ordinary one: an access key can revoke its tokens.
      await keyClient.revokeTokens({ communicationUserId: a1!.sub });
      expect(await introspect(srv, first.token)).toEqual({ active: false });
    });

    it("maps concurrent first exchanges of a new user onto one identity", async () => {
      await runCli(srv, ["user", "create", "--name", "erin@contoso.test", "--password", PASSWORD]);
      const entra = await userCredential("erin@contoso.test").getToken("https://communication.azure.com/clients/.default");
      const tokens = await Promise.all(
        Array.from({ length: 12 }, () => new AzureCommunicationTokenCredential({ resourceEndpoint: srv.httpsUrl, tokenCredential: fixed(entra.token) }).getToken()),
      );
      const subjects = new Set(tokens.map((t) => decodeClaims(t.token).sub));
      expect(subjects.size).toBe(1);
      const rows = await srv.server.core.store.db.selectFrom("entra_user_identities").selectAll().where("identity_id", "in", [...subjects]).execute();
      expect(rows).toHaveLength(1);
    });

    it("caps the ACS token at the Entra token's expiry", async () => {
      const entra = await userCredential("alice@contoso.test").getToken("https://communication.azure.com/clients/.default");
      const acs = await new AzureCommunicationTokenCredential({ resourceEndpoint: srv.httpsUrl, tokenCredential: fixed(entra.token) }).getToken();
      expect(decodeClaims(acs.token).exp).toBe(decodeClaims(entra.token).exp);
    });

    it("refuses an Entra token that expired within the allowed clock skew: there is no lifetime left to inherit", async () => {
      const now = Math.floor(Date.now() / 1000);
      const lapsed = srv.server.core.entra.keys.sign({
        aud: "https://communication.azure.com",
        iss: `${srv.httpsUrl}/${app.tenantId}/v2.0`,
        tid: app.tenantId,
        oid: alice.objectId,
        sub: alice.objectId,
        appid: app.clientId,
        scp: "clients/VoIP",
        iat: now - 3600,
        nbf: now - 3600,
        exp: now - 60,
      });
      await expect(
        new AzureCommunicationTokenCredential({ resourceEndpoint: srv.httpsUrl, tokenCredential: fixed(lapsed) }).getToken(),
      ).rejects.toThrow(exchangeRefusal("TokenExpired"));
    });

    it("refuses an application token (401 UserTokenRequired)", async () => {
      const appToken = await new ClientSecretCredential(app.tenantId, app.clientId, app.clientSecret!, {
        authorityHost: srv.httpsUrl,
        disableInstanceDiscovery: true,
      }).getToken(ACS_SCOPE);
      await expect(
        new AzureCommunicationTokenCredential({ resourceEndpoint: srv.httpsUrl, tokenCredential: fixed(appToken.token) }).getToken(),
      ).rejects.toThrow(exchangeRefusal("UserTokenRequired"));
    });

    it("refuses a user token for another audience (401 InvalidTokenAudience)", async () => {
      const teams = await userCredential("alice@contoso.test").getToken(TEAMS_SCOPE);
      await expect(
        new AzureCommunicationTokenCredential({ resourceEndpoint: srv.httpsUrl, tokenCredential: fixed(teams.token) }).getToken(),
      ).rejects.toThrow(exchangeRefusal("InvalidTokenAudience"));
    });

    it("refuses a user token of a deleted user (401 PrincipalNotFound), and a request without a bearer (401)", async () => {
      const carol = JSON.parse(await runCli(srv, ["user", "create", "--name", "carol@contoso.test", "--password", PASSWORD, "--json"]));
      const entra = await userCredential("carol@contoso.test").getToken("https://communication.azure.com/clients/.default");
      await runCli(srv, ["user", "delete", carol.objectId]);
      await srv.server.core.feed.poll();
      await expect(
        new AzureCommunicationTokenCredential({ resourceEndpoint: srv.httpsUrl, tokenCredential: fixed(entra.token) }).getToken(),
      ).rejects.toThrow(exchangeRefusal("PrincipalNotFound"));
      const res = await fetch(`${srv.httpsUrl}/access/entra/:exchangeAccessToken?api-version=2025-03-02-preview`, { method: "POST", body: "{}" });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: "MissingAuthorization" } });
    });

    it("refuses a wrong password at the authority (invalid_grant AADSTS50126)", async () => {
      const wrong = new UsernamePasswordCredential(app.tenantId, app.clientId, "alice@contoso.test", "wrong password", {
        authorityHost: srv.httpsUrl,
        disableInstanceDiscovery: true,
      });
      await expect(wrong.getToken(ACS_SCOPE)).rejects.toThrow(/AADSTS50126/);
    });
  });
});
