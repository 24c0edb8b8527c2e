import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import type { Principal } from "../../src/auth/principal.js";
import { AcsError } from "../../src/errors/acs-errors.js";
import type { RouteSpec } from "../../src/http/route.js";
import { createEntraRoleAuthorizer, RoleAssignmentCache } from "../../src/rbac/entra-role-authorizer.js";
import { BUILT_IN_ROLES } from "../../src/rbac/role-definitions.js";
import type { RoleStore } from "../../src/rbac/role-store.js";
import type { Resource } from "../../src/resources/resource.js";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import type { TestServer } from "../support/test-server.js";
import { createSp, runCli } from "../entra/entra-support.js";
import { startOidcIssuer } from "../support/oidc-issuer.js";
import { accessKey, API, expectAcsError, rawRequest, startServer } from "./support.js";

const USER_OID = "3b0c6f1e-2a4d-4e8f-9a1b-7c2d5e6f8a90";
const APP_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

describe.each(backendNames)("trusted issuers: audiences per purpose, roles per issuer (%s)", (backend) => {
  let issuer: Awaited<ReturnType<typeof startOidcIssuer>>;
  let srv: TestServer;

  const createIdentityWith = (token: string) =>
    rawRequest(`${srv.httpsUrl}/identities?${API}`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
  const teamsExchange = (token: string) =>
    signedFetch(`${srv.httpUrl}/teamsUser/:exchangeAccessToken?${API}`, {
      method: "POST",
      accessKey: accessKey(srv),
      body: { token, appId: APP_ID, userId: USER_OID },
    });

  beforeAll(async () => {
    issuer = await startOidcIssuer();
    srv = await startServer(backend, {
      config: {
        entra: {
          trustedIssuers: [{ issuer: issuer.issuer, discoveryUrl: issuer.discoveryUrl, audiences: ["switchboard-api"], teamsAudiences: ["teams-api"] }],
        },
      },
    });
    await runCli(srv, ["role", "assign", "--principal", USER_OID, "--issuer", issuer.issuer, "--role", "Contributor"]);
  });
  afterAll(async () => {
    await srv?.close();
    await issuer?.close();
  });

  it("flaw 5: a data-plane token is refused by the Teams exchange, and a Teams token on the data plane", async () => {
    const dataPlane = await issuer.sign({ aud: "switchboard-api", oid: USER_OID, sub: USER_OID, scp: "Teams.ManageCalls", azp: APP_ID });
    // The exchange answers every refused Teams token with ACS's 401 InvalidAccessToken (docs/fidelity.md); the reason
    // underneath is the audience.
    expectAcsError(await teamsExchange(dataPlane), 401, "InvalidAccessToken");
    expect(await srv.server.core.entra.verifier.verify(dataPlane, "teamsExchange")).toEqual({ ok: false, code: "InvalidTokenAudience" });
    expect((await createIdentityWith(dataPlane)).status).toBe(201);

    const teams = await issuer.sign({ aud: "teams-api", oid: USER_OID, sub: USER_OID, scp: "Teams.ManageCalls", azp: APP_ID });
    expectAcsError(await createIdentityWith(teams), 401, "InvalidTokenAudience");
    const exchanged = await teamsExchange(teams);
    expect(exchanged.status).toBe(200);
    expect(typeof exchanged.body.token).toBe("string");
  });

  it("flaw 5: a purpose the issuer is not configured for is refused", async () => {
    const mgmt = await issuer.sign({ aud: "https://management.azure.com", oid: USER_OID, sub: USER_OID });
    expectAcsError(await createIdentityWith(mgmt), 401, "InvalidTokenAudience");
    const verifier = srv.server.core.entra.verifier;
    expect(await verifier.verify(mgmt, "management")).toEqual({ ok: false, code: "InvalidTokenAudience" });
  });

  it("flaw 6: an external token naming a built-in principal's object id does not inherit its roles", async () => {
    const sp = await createSp(srv, "sec-builtin-app");
    await runCli(srv, ["role", "assign", "--principal", sp.clientId, "--role", "Contributor"]);
    const impostor = await issuer.sign({ aud: "switchboard-api", oid: sp.objectId, sub: sp.objectId });
    expectAcsError(await createIdentityWith(impostor), 403, "AuthorizationFailed");
    // The same object id assigned under the issuer is that issuer's principal, and only then allowed.
    await runCli(srv, ["role", "assign", "--principal", sp.objectId, "--issuer", issuer.issuer, "--role", "Contributor"]);
    await expect.poll(async () => (await createIdentityWith(impostor)).status, { timeout: 5000 }).toBe(201);
  });
});

describe("trusted issuer audiences (configuration)", () => {
  it("refuses an audience listed for two purposes", () => {
    expect(() =>
      loadConfig({
        overrides: {
          entra: { trustedIssuers: [{ issuer: "https://i.example/", jwksUri: "https://i.example/keys", audiences: ["a"], teamsAudiences: ["a"] }] },
        },
      }),
    ).toThrow(/one purpose only/);
  });
});

describe("role assignments are keyed by (issuer, object id) (flaw 6)", () => {
  const OID = "11111111-2222-4333-8444-555555555555";
  const BUILT_IN = "https://127.0.0.1:8443/99999999-0000-4000-8000-000000000000/v2.0";
  const EXTERNAL = "https://keycloak.example.com/realms/acs";
  const store = {
    definitions: async () => [...BUILT_IN_ROLES],
    assignments: async () => [{ id: "a1", principalId: OID, roleName: "Contributor", scope: "*", createdAt: 0 }],
  } as unknown as RoleStore;
  const authorize = createEntraRoleAuthorizer(new RoleAssignmentCache(store), (iss) => iss === BUILT_IN);
  const principal = (issuer: string): Extract<Principal, { kind: "entra" }> => ({
    kind: "entra",
    issuer,
    objectId: OID,
    tenantId: undefined,
    appId: undefined,
    principalType: "service-principal",
    displayName: undefined,
  });
  const route = { operation: "identity.create" } as RouteSpec;
  const resource = { id: "r1" } as Resource;

  it("an assignment to a bare object id is the built-in principal's, not an external issuer's with the same oid", async () => {
    await expect(authorize(principal(BUILT_IN), route, resource)).resolves.toBeUndefined();
    await expect(authorize(principal(EXTERNAL), route, resource)).rejects.toBeInstanceOf(AcsError);
  });
});
