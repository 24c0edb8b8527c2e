import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthorityTenantRepository } from "../../src/idp/authority-tenant-repository.js";
import { EntraPrincipalRepository } from "../../src/idp/entra-principal-repository.js";
import { EntraUserIdentityRepository } from "../../src/idp/entra-user-identity-repository.js";
import type { EntraPrincipalsTable } from "../../src/idp/idp-tables.js";
import { ManagedIdentityRepository } from "../../src/idp/managed-identity/managed-identity-repository.js";
import {
  AppRegistrationRepository,
  AuthorizationCodeRepository,
  DeviceCodeRepository,
  RefreshTokenRepository,
  SigninKeyRepository,
  SigninSessionRepository,
} from "../../src/idp/signin/signin-repository.js";
import type { IdpAuthorizationCodesTable, IdpDeviceCodesTable, IdpRefreshTokensTable } from "../../src/idp/signin/signin-tables.js";
import { RoleRepository } from "../../src/rbac/role-repository.js";
import type { Store } from "../../src/store/store.js";
import { TrustedAuthRepository } from "../../src/trusted-auth/trusted-auth-repository.js";
import { backendNames } from "../support/backends.js";
import { createTestDatabase, type TestDatabase } from "./store-fixture.js";

/** The repositories of the built-in authority (src/idp/) and the trusted authentication service, on every backend. */
describe.each(backendNames)("idp repositories on %s", (backend) => {
  let tdb: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    tdb = await createTestDatabase(backend);
    store = await tdb.open();
  });
  afterAll(async () => {
    await tdb?.closeAll();
  });

  const code = (hash: string, expiresAt: number): IdpAuthorizationCodesTable => ({
    code_hash: hash,
    client_id: "client-a",
    redirect_uri: "https://app.example/cb",
    user_object_id: "user-1",
    scope: "openid",
    nonce: null,
    code_challenge: "c".repeat(43),
    created_at: expiresAt - 600_000,
    expires_at: expiresAt,
    used_at: null,
  });

  describe("AuthorizationCodeRepository", () => {
    it("claims a code once, even when two redemptions race; an unknown code is undefined", async () => {
      const repo = new AuthorizationCodeRepository(store);
      await repo.insert(code("code-race", 10_000), 0);
      const [a, b] = await Promise.all([repo.claim("code-race", 5_000), repo.claim("code-race", 5_001)]);
      expect([a!.claimed, b!.claimed].filter(Boolean)).toHaveLength(1);
      expect(a!.row).toMatchObject({ code_hash: "code-race", client_id: "client-a", redirect_uri: "https://app.example/cb", code_challenge: "c".repeat(43) });
      expect(Number(a!.row.expires_at)).toBe(10_000);
      const third = await repo.claim("code-race", 6_000);
      expect(third!.claimed).toBe(false);
      expect([5_000, 5_001]).toContain(Number(third!.row.used_at));
      expect(await repo.claim("code-unknown", 6_000)).toBeUndefined();
    });

    it("drops codes that expired before the given time when it stores a new one", async () => {
      const repo = new AuthorizationCodeRepository(store);
      await repo.insert(code("code-old", 1_000), 0);
      await repo.insert(code("code-kept", 50_000), 0);
      await repo.insert(code("code-new", 90_000), 2_000);
      expect(await repo.claim("code-old", 3_000)).toBeUndefined();
      expect((await repo.claim("code-kept", 3_000))!.claimed).toBe(true);
      expect((await repo.claim("code-new", 3_000))!.claimed).toBe(true);
    });
  });

  describe("RefreshTokenRepository", () => {
    const token = (hash: string, family: string): IdpRefreshTokensTable => ({
      token_hash: hash,
      family_id: family,
      client_id: "client-a",
      user_object_id: "user-1",
      scope: "openid offline_access",
      created_at: 1_000,
      expires_at: 100_000,
      used_at: null,
      revoked_at: null,
    });

    it("inserts on its own or in the caller's write, finds by hash, spends a token once", async () => {
      const repo = new RefreshTokenRepository(store);
      await repo.insert(token("rt-1", "fam-1"));
      await store.write((trx) => repo.insert(token("rt-2", "fam-1"), trx));
      expect(await repo.find("rt-1")).toMatchObject({ token_hash: "rt-1", family_id: "fam-1", scope: "openid offline_access", used_at: null, revoked_at: null });
      expect(await repo.find("rt-missing")).toBeUndefined();
      const spent = await Promise.all([store.write((trx) => repo.markUsed(trx, "rt-1", 2_000)), store.write((trx) => repo.markUsed(trx, "rt-1", 2_001))]);
      expect(spent.filter(Boolean)).toHaveLength(1);
      expect(await store.write((trx) => repo.markUsed(trx, "rt-1", 3_000))).toBe(false);
      expect(await store.write((trx) => repo.markUsed(trx, "rt-missing", 3_000))).toBe(false);
      expect((await store.write((trx) => repo.find("rt-1", trx)))!.used_at).not.toBeNull();
    });

    it("revokes every live token of a family and no other", async () => {
      const repo = new RefreshTokenRepository(store);
      await repo.insert(token("rt-a1", "fam-a"));
      await repo.insert(token("rt-a2", "fam-a"));
      await repo.insert(token("rt-b1", "fam-b"));
      expect(await store.write((trx) => repo.revokeFamily(trx, "fam-a", 4_000))).toBe(2);
      expect(await store.write((trx) => repo.revokeFamily(trx, "fam-a", 5_000))).toBe(0);
      expect(Number((await repo.find("rt-a1"))!.revoked_at)).toBe(4_000);
      expect(Number((await repo.find("rt-a2"))!.revoked_at)).toBe(4_000);
      expect((await repo.find("rt-b1"))!.revoked_at).toBeNull();
    });
  });

  describe("DeviceCodeRepository", () => {
    const device = (hash: string, userCode: string, expiresAt: number): IdpDeviceCodesTable => ({
      device_code_hash: hash,
      user_code: userCode,
      client_id: "client-a",
      scope: "openid",
      user_object_id: null,
      created_at: 0,
      expires_at: expiresAt,
      used_at: null,
    });

    it("finds by user code and by hash, approves once and only before expiry, hands out once", async () => {
      const repo = new DeviceCodeRepository(store);
      await repo.insert(device("dc-1", "ABCDEFGH", 10_000), 0);
      expect(await repo.findByUserCode("ABCDEFGH")).toMatchObject({ device_code_hash: "dc-1", client_id: "client-a", user_object_id: null });
      expect(await repo.findByUserCode("ZZZZZZZZ")).toBeUndefined();
      expect(await repo.approve("ABCDEFGH", "user-1", 20_000)).toBe(false); // expired at that time
      const approvals = await Promise.all([repo.approve("ABCDEFGH", "user-1", 5_000), repo.approve("ABCDEFGH", "user-2", 5_000)]);
      expect(approvals.filter(Boolean)).toHaveLength(1);
      const approvedBy = (await repo.findByHash("dc-1"))!.user_object_id;
      expect(["user-1", "user-2"]).toContain(approvedBy);
      const handedOut = await Promise.all([store.write((trx) => repo.markUsed(trx, "dc-1", 6_000)), store.write((trx) => repo.markUsed(trx, "dc-1", 6_001))]);
      expect(handedOut.filter(Boolean)).toHaveLength(1);
      expect((await store.write((trx) => repo.findByHash("dc-1", trx)))!.used_at).not.toBeNull();
      expect(await repo.findByHash("dc-missing")).toBeUndefined();
    });

    it("drops codes that expired before the given time when it stores a new one", async () => {
      const repo = new DeviceCodeRepository(store);
      await repo.insert(device("dc-old", "OLDCODE1", 1_000), 0);
      await repo.insert(device("dc-new", "NEWCODE1", 90_000), 2_000);
      expect(await repo.findByHash("dc-old")).toBeUndefined();
      expect(await repo.findByUserCode("NEWCODE1")).toMatchObject({ device_code_hash: "dc-new" });
    });
  });

  describe("SigninSessionRepository", () => {
    it("inserts, finds and ends a session", async () => {
      const repo = new SigninSessionRepository(store);
      await repo.insert({ id_hash: "sess-1", user_object_id: "user-1", created_at: 1_000, expires_at: 50_000, ended_at: null });
      expect(await repo.find("sess-1")).toMatchObject({ id_hash: "sess-1", user_object_id: "user-1", ended_at: null });
      expect(Number((await repo.find("sess-1"))!.expires_at)).toBe(50_000);
      await repo.end("sess-1", 7_000);
      expect(Number((await repo.find("sess-1"))!.ended_at)).toBe(7_000);
      await repo.end("sess-missing", 7_000);
      expect(await repo.find("sess-missing")).toBeUndefined();
    });
  });

  describe("AppRegistrationRepository", () => {
    it("saves (replacing), finds and lists the redirect URIs of registrations", async () => {
      const repo = new AppRegistrationRepository(store);
      const row = { client_id: "app-1", public_client: 1, redirect_uris: JSON.stringify(["https://a.example/cb"]), exposed_scopes: "[]", updated_at: 1 };
      await repo.save(row);
      await repo.save({ ...row, public_client: 0, redirect_uris: JSON.stringify(["https://b.example/cb", "http://localhost:3000"]), exposed_scopes: JSON.stringify(["read"]), updated_at: 2 });
      await repo.save({ ...row, client_id: "app-2", redirect_uris: JSON.stringify(["https://c.example/cb"]) });
      const found = await repo.find("app-1");
      expect(found).toMatchObject({ client_id: "app-1", redirect_uris: JSON.stringify(["https://b.example/cb", "http://localhost:3000"]), exposed_scopes: JSON.stringify(["read"]) });
      expect(Number(found!.public_client)).toBe(0);
      expect(await repo.find("app-missing")).toBeUndefined();
      expect((await repo.redirectUriLists()).map((l) => JSON.parse(l) as string[]).sort()).toEqual([["https://b.example/cb", "http://localhost:3000"], ["https://c.example/cb"]]);
    });
  });

  describe("SigninKeyRepository", () => {
    it("keeps the first key stored under an id", async () => {
      const repo = new SigninKeyRepository(store);
      expect(await repo.secret("key-a")).toBeUndefined();
      const [first, second] = await Promise.all([repo.insertIfMissing("key-a", "secret-one", 1), repo.insertIfMissing("key-a", "secret-two", 2)]);
      expect(first).toBe(second);
      expect(["secret-one", "secret-two"]).toContain(first);
      expect(await repo.insertIfMissing("key-a", "secret-three", 3)).toBe(first);
      expect(await repo.secret("key-a")).toBe(first);
    });
  });

  describe("ManagedIdentityRepository", () => {
    const principal = (objectId: string, name: string, createdAt: number): EntraPrincipalsTable => ({
      object_id: objectId,
      tenant_id: "tenant-1",
      kind: "managed-identity",
      name,
      client_id: `client-${objectId}`,
      enabled: 1,
      password_hash: null,
      certificate_pem: null,
      created_at: createdAt,
    });

    it("stores workloads and their identities, lists them and deletes an emptied workload with its last identity", async () => {
      const repo = new ManagedIdentityRepository(store);
      const principals = new EntraPrincipalRepository(store);
      const roles = new RoleRepository(store);
      await store.write(async (trx) => {
        await repo.insertWorkload(trx, { id: "wl-1", name: "web", header_hash: "hdr-hash-1", created_at: 1 });
        await principals.insert(trx, principal("mi-1", "web", 10));
        await repo.insertLink(trx, { object_id: "mi-1", workload_id: "wl-1", created_at: 10 });
        await principals.insert(trx, principal("mi-2", "web-extra", 20));
        await repo.insertLink(trx, { object_id: "mi-2", workload_id: "wl-1", created_at: 20 });
      });
      expect(await repo.findWorkloadByName("web")).toMatchObject({ id: "wl-1", header_hash: "hdr-hash-1" });
      expect(await store.write((trx) => repo.findWorkloadByName("web", trx))).toMatchObject({ id: "wl-1" });
      expect(await repo.findWorkloadByName("nope")).toBeUndefined();
      expect((await repo.findWorkloadByHeaderHash("hdr-hash-1"))?.id).toBe("wl-1");
      expect(await repo.findWorkloadByHeaderHash("hdr-other")).toBeUndefined();
      expect(await repo.list()).toEqual([
        { name: "web", clientId: "client-mi-1", principalId: "mi-1", workload: "web", createdAt: 10 },
        { name: "web-extra", clientId: "client-mi-2", principalId: "mi-2", workload: "web", createdAt: 20 },
      ]);
      expect((await repo.principalsOfWorkload("wl-1")).map((p) => p.object_id)).toEqual(["mi-1", "mi-2"]);

      await roles.addAssignment({ id: "ra-1", principalId: "mi-2", roleName: "Reader", scope: "*", createdAt: 1 });
      await roles.addAssignment({ id: "ra-2", principalId: "mi-1", roleName: "Reader", scope: "*", createdAt: 1 });
      expect(await store.write((trx) => repo.deleteIdentity(trx, "mi-2"))).toEqual({ workloadDeleted: false });
      expect(await roles.listAssignments("mi-2")).toEqual([]);
      expect((await roles.listAssignments("mi-1")).map((r) => r.id)).toEqual(["ra-2"]);
      expect(await principals.find("mi-2")).toBeUndefined();
      expect((await repo.principalsOfWorkload("wl-1")).map((p) => p.object_id)).toEqual(["mi-1"]);
      expect(await store.write((trx) => repo.deleteIdentity(trx, "mi-1"))).toEqual({ workloadDeleted: true });
      expect(await repo.findWorkloadByName("web")).toBeUndefined();
      expect(await repo.list()).toEqual([]);
    });
  });

  describe("AuthorityTenantRepository", () => {
    it("creates the default tenant once", async () => {
      const repo = new AuthorityTenantRepository(store);
      expect(await repo.defaultTenantId()).toBeUndefined();
      const [a, b] = await Promise.all([repo.ensureDefault("tenant-first", 1), repo.ensureDefault("tenant-second", 2)]);
      expect(a).toBe(b);
      expect(await repo.ensureDefault("tenant-third", 3)).toBe(a);
      expect(await repo.defaultTenantId()).toBe(a);
    });

    it("creates one default tenant when several replicas' first starts race", async () => {
      // Separate stores are separate replicas: their writes share no group commit, only the database.
      const replicas = await Promise.all([tdb.open(), tdb.open(), tdb.open(), tdb.open()]);
      for (let round = 0; round < 10; round++) {
        await store.write(async (trx) => void (await trx.deleteFrom("idp_tenants").execute()));
        const ids = await Promise.all(replicas.map((r, i) => new AuthorityTenantRepository(r).ensureDefault(`tenant-${round}-${i}`, round)));
        expect(new Set(ids).size).toBe(1);
        expect(await store.db.selectFrom("idp_tenants").select("id").execute()).toEqual([{ id: ids[0] }]);
      }
    });
  });

  describe("EntraUserIdentityRepository", () => {
    it("maps an Entra user of a resource to one identity", async () => {
      const repo = new EntraUserIdentityRepository(store);
      const row = { resource_id: "res-1", issuer: "https://issuer.example/v2.0", object_id: "oid-1", identity_id: "8:acs:res-1_one", created_at: 1 };
      expect(await repo.find("res-1", row.issuer, "oid-1")).toBeUndefined();
      await store.write((trx) => repo.insert(trx, row));
      expect(await repo.find("res-1", row.issuer, "oid-1")).toBe("8:acs:res-1_one");
      expect(await store.write((trx) => repo.find("res-1", row.issuer, "oid-1", trx))).toBe("8:acs:res-1_one");
      expect(await repo.find("res-2", row.issuer, "oid-1")).toBeUndefined();
      expect(await repo.find("res-1", "https://other.example/v2.0", "oid-1")).toBeUndefined();
      await expect(store.write((trx) => repo.insert(trx, { ...row, identity_id: "8:acs:res-1_two" }))).rejects.toThrow();
      expect(await repo.find("res-1", row.issuer, "oid-1")).toBe("8:acs:res-1_one");
    });
  });

  describe("TrustedAuthRepository", () => {
    it("saves (replacing) and finds settings; any client id", async () => {
      const repo = new TrustedAuthRepository(store);
      expect(await repo.anyClientId()).toBeUndefined();
      const settings = { resource_id: "res-1", client_id: "api-1", scopes: "chat voip", external_audiences: "[]", created_at: 1 };
      await repo.saveSettings(settings);
      await repo.saveSettings({ ...settings, scopes: "chat", external_audiences: JSON.stringify(["api://x"]), created_at: 2 });
      expect(await repo.findSettings("res-1")).toMatchObject({ resource_id: "res-1", client_id: "api-1", scopes: "chat", external_audiences: JSON.stringify(["api://x"]) });
      expect(await repo.findSettings("res-missing")).toBeUndefined();
      expect(await repo.anyClientId()).toBe("api-1");
    });

    it("inserts a mapping once, lists by resource oldest first, deletes one", async () => {
      const repo = new TrustedAuthRepository(store);
      const mapping = (resourceId: string, objectId: string, createdAt: number) => ({
        resource_id: resourceId,
        issuer: "https://issuer.example/v2.0",
        tenant_id: "tenant-1",
        object_id: objectId,
        identity_id: `8:acs:${resourceId}_${objectId}`,
        created_at: createdAt,
      });
      const inserted = await Promise.all([repo.insertMappingIfAbsent(mapping("res-m", "oid-1", 5)), repo.insertMappingIfAbsent({ ...mapping("res-m", "oid-1", 6), identity_id: "8:acs:other" })]);
      expect(inserted.filter(Boolean)).toHaveLength(1);
      expect(await repo.insertMappingIfAbsent(mapping("res-m", "oid-1", 7))).toBe(false);
      await repo.insertMappingIfAbsent(mapping("res-m", "oid-0", 1));
      await repo.insertMappingIfAbsent(mapping("res-n", "oid-1", 3));
      expect((await repo.listMappings("res-m")).map((m) => m.object_id)).toEqual(["oid-0", "oid-1"]);
      expect((await repo.listMappings()).map((m) => `${m.resource_id}/${m.object_id}`)).toEqual(["res-m/oid-0", "res-n/oid-1", "res-m/oid-1"]);
      expect(await repo.findMapping("res-m", "https://issuer.example/v2.0", "oid-0")).toMatchObject({ identity_id: "8:acs:res-m_oid-0", tenant_id: "tenant-1" });
      await repo.deleteMapping("res-m", "https://issuer.example/v2.0", "oid-0");
      expect(await repo.findMapping("res-m", "https://issuer.example/v2.0", "oid-0")).toBeUndefined();
      expect((await repo.listMappings("res-m")).map((m) => m.object_id)).toEqual(["oid-1"]);
      expect(await repo.findMapping("res-n", "https://issuer.example/v2.0", "oid-1")).toBeDefined();
    });
  });
});
