import { afterEach, describe, expect, it } from "vitest";
import type { CallRecord } from "../../src/calling/call-record.js";
import { CallRepository } from "../../src/calling/call-repository.js";
import { IDENTITY_CHANGED, IdentityRepository } from "../../src/identity/identity-repository.js";
import { OutboxRepository, type OutboxEntry } from "../../src/outbox/outbox-repository.js";
import { RESOURCE_CHANGED, ResourceRepository } from "../../src/resources/resource-repository.js";
import { EmailRepository } from "../../src/email/email-repository.js";
import { ENTRA_PRINCIPAL_CHANGED, EntraPrincipalRepository } from "../../src/idp/entra-principal-repository.js";
import { SigningKeyRepository } from "../../src/keys/signing-key-repository.js";
import { PhoneNumberRepository } from "../../src/phone-numbers/phone-number-repository.js";
import { RBAC_CHANGED, RoleRepository } from "../../src/rbac/role-repository.js";
import { SmsRepository } from "../../src/sms/sms-repository.js";
import type { Change } from "../../src/store/store.js";
import { generateAccessKey } from "../../src/util/crypto.js";
import { backendNames } from "../support/backends.js";
import { createTestDatabase, ownedNumberRow, type TestDatabase } from "./store-fixture.js";

let tdb: TestDatabase;
afterEach(async () => {
  await tdb.closeAll();
});

describe.each(backendNames)("repositories on %s", (backend) => {
  it("migrates an empty database and reopening it is a no-op", async () => {
    tdb = await createTestDatabase(backend, {}, { empty: true });
    const store = await tdb.open();
    const again = await tdb.open();
    for (const table of ["resources", "identities", "signing_keys", "change_events"] as const) {
      const rows = await again.db.selectFrom(table).selectAll().execute();
      expect(rows).toEqual([]);
    }
    expect(store.dialect).toBe(backend);
  });

  describe("ResourceRepository", () => {
    it("creates the default resource once and applies pinned keys on a later start", async () => {
      tdb = await createTestDatabase(backend);
      const store = await tdb.open();
      const changes: Change[] = [];
      store.onLocalChanges((c) => changes.push(...c));
      const repo = new ResourceRepository(store, () => 1_000);
      const first = await repo.ensureDefault({ name: "dev" });
      const second = await repo.ensureDefault({ name: "dev" });
      expect(second).toEqual(first);
      expect(first.isDefault).toBe(true);
      expect(first.createdAt).toBe(1_000);
      expect(changes).toEqual([]);

      const pinned = generateAccessKey();
      const third = await repo.ensureDefault({ name: "dev", primaryKey: pinned });
      expect(third.id).toBe(first.id);
      expect(third.keys.primary.value).toBe(pinned);
      expect(third.keys.primary.id).not.toBe(first.keys.primary.id);
      expect(third.keys.secondary).toEqual(first.keys.secondary);
      expect(changes).toEqual([{ topic: RESOURCE_CHANGED, resourceId: first.id }]);
      expect(await repo.list()).toHaveLength(1);
    });

    it("regenerates one key, creates, lists and finds resources", async () => {
      tdb = await createTestDatabase(backend);
      const store = await tdb.open();
      const repo = new ResourceRepository(store, () => 5);
      const dev = await repo.ensureDefault({ name: "dev" });
      const other = await repo.create("other", ["Other.Example:8443"]);
      expect(other.hostnames).toEqual(["other.example:8443"]);
      expect(other.isDefault).toBe(false);
      const regenerated = await repo.regenerateKey(dev.id, "secondary");
      expect(regenerated.keys.secondary.value).not.toBe(dev.keys.secondary.value);
      expect(regenerated.keys.secondary.id).not.toBe(dev.keys.secondary.id);
      expect(regenerated.keys.primary).toEqual(dev.keys.primary);
      expect((await repo.list()).map((r) => r.name)).toEqual(["dev", "other"]);
      expect((await repo.findByName("other"))?.id).toBe(other.id);
      expect(await repo.findByName("missing")).toBeUndefined();
      await expect(repo.regenerateKey("no-such-resource", "primary")).rejects.toThrow(/no resource/);
      // The failed write left nothing behind: one change for create, one for the regeneration.
      const events = await store.db.selectFrom("change_events").select(["topic", "resource_id"]).orderBy("id").execute();
      expect(events).toEqual([
        { topic: RESOURCE_CHANGED, resource_id: other.id },
        { topic: RESOURCE_CHANGED, resource_id: dev.id },
      ]);
    });

    it("refuses a second resource with the same name", async () => {
      tdb = await createTestDatabase(backend);
      const repo = new ResourceRepository(await tdb.open(), () => 5);
      await repo.create("twin", []);
      await expect(repo.create("twin", [])).rejects.toThrow();
      expect(await repo.list()).toHaveLength(1);
    });
  });

  describe("IdentityRepository", () => {
    async function setup() {
      tdb = await createTestDatabase(backend);
      const store = await tdb.open();
      const resource = await new ResourceRepository(store, () => 1).ensureDefault({ name: "dev" });
      const other = await new ResourceRepository(store, () => 1).create("other", []);
      return { store, repo: new IdentityRepository(store), resource, other };
    }

    it("inserts and finds identities", async () => {
      const { store, repo, resource } = await setup();
      await store.write((trx) => repo.insert(trx, "id-1", resource.id, 1_700_000_000_000));
      expect(await repo.find("id-1")).toEqual({
        id: "id-1",
        resourceId: resource.id,
        createdAt: 1_700_000_000_000,
        deletedAt: null,
        tokenGeneration: 0,
        revokedAt: null,
      });
      expect(await repo.find("id-2")).toBeUndefined();
      await expect(store.write((trx) => repo.insert(trx, "id-1", resource.id, 2))).rejects.toThrow();
    });

    it("revokes: bumps the generation, records the time and emits a change; only for the owning resource", async () => {
      const { store, repo, resource, other } = await setup();
      const changes: Change[] = [];
      store.onLocalChanges((c) => changes.push(...c));
      await store.write((trx) => repo.insert(trx, "id-1", resource.id, 1));
      expect(await store.write((trx, ctx) => repo.revoke(trx, ctx, "id-1", other.id, 10))).toBe(false);
      expect(await store.write((trx, ctx) => repo.revoke(trx, ctx, "id-1", resource.id, 10))).toBe(true);
      expect(await store.write((trx, ctx) => repo.revoke(trx, ctx, "id-1", resource.id, 20))).toBe(true);
      expect(await repo.find("id-1")).toMatchObject({ tokenGeneration: 2, revokedAt: 20, deletedAt: null });
      expect(await store.write((trx, ctx) => repo.revoke(trx, ctx, "missing", resource.id, 30))).toBe(false);
      const change = { topic: IDENTITY_CHANGED, resourceId: resource.id, subject: "id-1" };
      expect(changes).toEqual([change, change]);
      const events = await store.db
        .selectFrom("change_events")
        .select(["topic", "resource_id", "subject", "created_at"])
        .where("topic", "=", IDENTITY_CHANGED)
        .execute();
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({ topic: IDENTITY_CHANGED, resource_id: resource.id, subject: "id-1" });
    });

    it("marks deleted once; a deleted identity can be neither revoked nor deleted again", async () => {
      const { store, repo, resource, other } = await setup();
      await store.write((trx) => repo.insert(trx, "id-1", resource.id, 1));
      expect(await store.write((trx, ctx) => repo.markDeleted(trx, ctx, "id-1", other.id, 5))).toBe(false);
      expect(await store.write((trx, ctx) => repo.markDeleted(trx, ctx, "id-1", resource.id, 5))).toBe(true);
      expect(await repo.find("id-1")).toMatchObject({ deletedAt: 5, tokenGeneration: 1, revokedAt: null });
      expect(await store.write((trx, ctx) => repo.markDeleted(trx, ctx, "id-1", resource.id, 6))).toBe(false);
      expect(await store.write((trx, ctx) => repo.revoke(trx, ctx, "id-1", resource.id, 7))).toBe(false);
      expect(await repo.find("id-1")).toMatchObject({ deletedAt: 5, tokenGeneration: 1 });
      const events = await store.db.selectFrom("change_events").select("subject").where("topic", "=", IDENTITY_CHANGED).execute();
      expect(events).toEqual([{ subject: "id-1" }]);
    });

    it("stores epoch milliseconds beyond 2^31 exactly and returns numbers", async () => {
      const { store, repo, resource } = await setup();
      const t = 4_102_444_800_123;
      await store.write((trx) => repo.insert(trx, "id-big", resource.id, t));
      const found = await repo.find("id-big");
      expect(found?.createdAt).toBe(t);
      expect(typeof found?.createdAt).toBe("number");
    });
  });

  describe("CallRepository", () => {
    async function setup() {
      tdb = await createTestDatabase(backend);
      const store = await tdb.open();
      const resource = await new ResourceRepository(store, () => 1).ensureDefault({ name: "dev" });
      return { store, repo: new CallRepository(store), resource };
    }
    const A = "8:acs:r_a";
    const B = "8:acs:r_b";
    const C = "8:acs:r_c";
    const call = (id: string, resourceId: string, startedAt: number, participants: CallRecord["participants"]): CallRecord => ({
      id,
      resourceId,
      caller: A,
      video: true,
      startedAt,
      answeredAt: null,
      endedAt: null,
      endReason: null,
      durationMs: null,
      participants,
    });

    it("saves a snapshot and reads it back exactly; a later save of the same call replaces it (last wins)", async () => {
      const { repo, resource } = await setup();
      const ringing = call("call-1", resource.id, 2 ** 41, [
        { identity: A, role: "caller", invitedAt: null, joinedAt: 2 ** 41, leftAt: null, outcome: "joined", leaveReason: null },
        { identity: B, role: "invitee", invitedAt: 2 ** 41, joinedAt: null, leftAt: null, outcome: "ringing", leaveReason: null },
      ]);
      await repo.save(ringing);
      expect(await repo.get("call-1")).toEqual(ringing);
      const ended: CallRecord = {
        ...ringing,
        answeredAt: 2 ** 41 + 10,
        endedAt: 2 ** 41 + 5_000,
        endReason: "hangUp",
        durationMs: 4_990,
        participants: [
          { ...ringing.participants[0]!, leftAt: 2 ** 41 + 5_000, leaveReason: "hangUp" },
          { ...ringing.participants[1]!, joinedAt: 2 ** 41 + 10, leftAt: 2 ** 41 + 5_000, outcome: "joined", leaveReason: "callEnded" },
        ],
      };
      await repo.save(ended);
      await repo.save(ended);
      expect(await repo.get("call-1")).toEqual(ended);
      expect(await repo.get("no-such-call")).toBeUndefined();
    });

    it("lists newest first, by resource or by any participant, up to the limit", async () => {
      const { store, repo, resource } = await setup();
      const other = await new ResourceRepository(store, () => 1).create("other", []);
      const part = (identity: string, role: "caller" | "invitee" | "joiner") =>
        ({ identity, role, invitedAt: null, joinedAt: null, leftAt: null, outcome: "joined", leaveReason: null }) as const;
      await repo.save(call("c-old", resource.id, 1_000, [part(A, "caller"), part(B, "invitee")]));
      await repo.save(call("c-new", resource.id, 3_000, [part(A, "caller"), part(C, "joiner")]));
      await repo.save(call("c-mid", other.id, 2_000, [part(A, "caller"), part(B, "invitee")]));
      expect((await repo.list({ resourceId: resource.id, limit: 10 })).map((c) => c.id)).toEqual(["c-new", "c-old"]);
      expect((await repo.list({ identity: B, limit: 10 })).map((c) => c.id)).toEqual(["c-mid", "c-old"]);
      expect((await repo.list({ identity: C, resourceId: resource.id, limit: 10 })).map((c) => c.id)).toEqual(["c-new"]);
      expect((await repo.list({ limit: 2 })).map((c) => c.id)).toEqual(["c-new", "c-mid"]);
      const [listed] = await repo.list({ identity: C, limit: 1 });
      expect(listed!.participants.map((p) => [p.identity, p.role])).toEqual([
        [A, "caller"],
        [C, "joiner"],
      ]);
      expect(await repo.list({ identity: "8:acs:nobody", limit: 10 })).toEqual([]);
    });
  });

  describe("OutboxRepository", () => {
    async function setup() {
      tdb = await createTestDatabase(backend);
      const store = await tdb.open();
      const resource = await new ResourceRepository(store, () => 1).ensureDefault({ name: "dev" });
      const other = await new ResourceRepository(store, () => 1).create("other", []);
      const repo = new OutboxRepository(store);
      const add = (entry: Partial<OutboxEntry> & { id: string }) =>
        store.write((trx) =>
          repo.insert(trx, {
            resourceId: resource.id,
            kind: "sms",
            principal: "access-key:primary",
            from: "+14255550100",
            to: ["+14255550123"],
            details: {},
            createdAt: 2 ** 41,
            ...entry,
          }),
        );
      return { repo, add, resource, other };
    }

    it("stores a message inside the caller's transaction and shows it as the API does", async () => {
      const { repo, add, resource } = await setup();
      await add({ id: "m1", kind: "email", from: "a@x.test", to: ["b@y.test", "c@y.test"], subject: "Hi ☃", text: "plain", html: "<p>x</p>", details: { status: "Queued" } });
      expect(await repo.get("m1")).toEqual({
        status: "Queued",
        id: "m1",
        kind: "email",
        resourceId: resource.id,
        principal: "access-key:primary",
        from: "a@x.test",
        to: ["b@y.test", "c@y.test"],
        subject: "Hi ☃",
        text: "plain",
        content: "plain",
        html: "<p>x</p>",
        createdAt: new Date(2 ** 41).toISOString(),
      });
      expect(await repo.get("m1", "another-resource")).toBeUndefined();
      expect(await repo.get("missing")).toBeUndefined();
    });

    it("lists newest first by resource and kind with skip and limit, merges detail updates, clears selectively", async () => {
      const { repo, add, resource, other } = await setup();
      await add({ id: "s1" });
      await add({ id: "e1", kind: "email" });
      await add({ id: "s2" });
      await add({ id: "o1", resourceId: other.id });
      expect((await repo.list({})).map((m) => m.id)).toEqual(["o1", "s2", "e1", "s1"]);
      expect((await repo.list({ resourceId: resource.id, kind: "sms" })).map((m) => m.id)).toEqual(["s2", "s1"]);
      expect((await repo.list({ resourceId: resource.id, skip: 1, limit: 1 })).map((m) => m.id)).toEqual(["e1"]);

      await repo.updateDetails(resource.id, "s1", { deliveryStatus: "Delivered" });
      await repo.updateDetails(resource.id, "s1", { attempts: 2 });
      await repo.updateDetails(other.id, "s1", { deliveryStatus: "Failed" }); // another resource's id: no effect
      expect(await repo.get("s1")).toMatchObject({ deliveryStatus: "Delivered", attempts: 2 });

      expect(await repo.clear(resource.id, "email")).toBe(1);
      expect((await repo.list({})).map((m) => m.id)).toEqual(["o1", "s2", "s1"]);
      expect(await repo.clear(resource.id)).toBe(2);
      expect(await repo.clear()).toBe(1);
      expect(await repo.list({})).toEqual([]);
    });
  });
});

/** The repositories of messaging, RBAC, the authority's principals and the key rings: the same contract on every backend. */
describe.each(backendNames)("more repositories on %s", (backend) => {
  async function open() {
    tdb = await createTestDatabase(backend);
    const store = await tdb.open();
    const resource = await new ResourceRepository(store, () => 1).ensureDefault({ name: "dev" });
    const other = await new ResourceRepository(store, () => 1).create("other", []);
    const changes: Change[] = [];
    store.onLocalChanges((c) => changes.push(...c));
    return { store, changes, resource, other };
  }

  describe("SigningKeyRepository", () => {
    it("rotates under the ring's topic, retiring the active key; onlyIfNone adds a first key once", async () => {
      const { store, changes } = await open();
      for (const table of ["signing_keys", "idp_signing_keys"] as const) {
        const repo = new SigningKeyRepository(store, table);
        const key = (kid: string, createdAt: number) => ({ kid, alg: "ES256", privatePem: `pem-${kid}`, publicJwk: `{"kid":"${kid}"}`, createdAt });
        expect(await repo.list()).toEqual([]);
        expect(await repo.rotate(key("k1", 10), `topic-${table}`, { onlyIfNone: true })).toBe(true);
        expect(await repo.rotate(key("k0", 11), `topic-${table}`, { onlyIfNone: true })).toBe(false);
        expect(await repo.rotate(key("k2", 20), `topic-${table}`)).toBe(true);
        expect(await repo.list()).toEqual([
          { kid: "k1", alg: "ES256", privatePem: "pem-k1", publicJwk: '{"kid":"k1"}', createdAt: 10, retiredAt: 20 },
          { kid: "k2", alg: "ES256", privatePem: "pem-k2", publicJwk: '{"kid":"k2"}', createdAt: 20, retiredAt: null },
        ]);
      }
      expect(changes.map((c) => [c.topic, c.subject])).toEqual([
        ["topic-signing_keys", "k1"],
        ["topic-signing_keys", "k2"],
        ["topic-idp_signing_keys", "k1"],
        ["topic-idp_signing_keys", "k2"],
      ]);
    });
  });

  describe("RoleRepository", () => {
    it("creates and replaces custom definitions by name, sorted by name", async () => {
      const { store, changes } = await open();
      const repo = new RoleRepository(store);
      await repo.saveDefinition({ name: "Zeta", description: "z", permissions: '{"actions":["a"]}' }, { id: "d1", createdAt: 1 });
      await repo.saveDefinition({ name: "Alpha", description: "a", permissions: "{}" }, { id: "d2", createdAt: 2 });
      await repo.saveDefinition({ name: "Zeta", description: "z2", permissions: '{"actions":["b"]}' }, { id: "d3", createdAt: 3 });
      expect(await repo.listDefinitions()).toEqual([
        { name: "Alpha", description: "a", permissions: "{}" },
        { name: "Zeta", description: "z2", permissions: '{"actions":["b"]}' },
      ]);
      expect(changes.map((c) => c.topic)).toEqual([RBAC_CHANGED, RBAC_CHANGED, RBAC_CHANGED]);
    });

    it("adds an assignment once, lists by principal in creation order, removes case-insensitively", async () => {
      const { store, changes } = await open();
      const repo = new RoleRepository(store);
      const a1 = { id: "a1", principalId: "p1", roleName: "Reader", scope: "*", createdAt: 5 };
      expect(await repo.addAssignment(a1)).toEqual(a1);
      expect(await repo.addAssignment({ ...a1, id: "a-dup", createdAt: 6 })).toEqual(a1);
      await repo.addAssignment({ id: "a2", principalId: "p2", roleName: "Owner", scope: "res-1", createdAt: 7 });
      await repo.addAssignment({ id: "a3", principalId: "p1", roleName: "Owner", scope: "res-1", createdAt: 8 });
      expect((await repo.listAssignments()).map((a) => a.id)).toEqual(["a1", "a2", "a3"]);
      expect((await repo.listAssignments("p1")).map((a) => a.id)).toEqual(["a1", "a3"]);
      expect(await repo.removeAssignment("p1", "reader", "*")).toBe(true);
      expect(await repo.removeAssignment("p1", "reader", "*")).toBe(false);
      expect(await repo.removeAssignment("p1", "Owner", "other-scope")).toBe(false);
      expect((await repo.listAssignments("p1")).map((a) => a.id)).toEqual(["a3"]);
      // One change per write that changed something: three adds and one removal.
      expect(changes.map((c) => [c.topic, c.subject])).toEqual([
        [RBAC_CHANGED, "p1"],
        [RBAC_CHANGED, "p2"],
        [RBAC_CHANGED, "p1"],
        [RBAC_CHANGED, "p1"],
      ]);
    });
  });

  describe("EmailRepository", () => {
    it("adds domains per resource, merges sender names, removes a domain", async () => {
      const { store, resource, other } = await open();
      const repo = new EmailRepository(store);
      await repo.addDomain(resource.id, "mail.example", ["DoNotReply", "news"], 1);
      await repo.addDomain(resource.id, "mail.example", ["news", "alerts"], 2);
      await repo.addDomain(resource.id, "a.example", ["x"], 3);
      await repo.addDomain(other.id, "other.example", ["y"], 4);
      expect(await repo.listDomains(resource.id)).toEqual([
        { domain: "a.example", senderUsernames: ["x"] },
        { domain: "mail.example", senderUsernames: ["DoNotReply", "news", "alerts"] },
      ]);
      expect(await repo.removeDomain(resource.id, "MAIL.example")).toBe(true);
      expect(await repo.removeDomain(resource.id, "mail.example")).toBe(false);
      expect(await repo.removeDomain(resource.id, "other.example")).toBe(false);
      expect((await repo.listDomains(resource.id)).map((d) => d.domain)).toEqual(["a.example"]);
      expect((await repo.listDomains(other.id)).map((d) => d.domain)).toEqual(["other.example"]);
    });

    it("inserts an operation once per (resource, id) and records its outcome, only while Running when asked", async () => {
      const { store, resource, other } = await open();
      const repo = new EmailRepository(store);
      const op = { id: "op-1", resource_id: resource.id, status: "Running", error_code: null, error_message: null, created_at: 10, updated_at: 10 };
      expect(await store.write((trx) => repo.insertOperation(trx, op))).toBe(true);
      expect(await store.write((trx) => repo.insertOperation(trx, { ...op, status: "Succeeded" }))).toBe(false);
      expect(await store.write((trx) => repo.insertOperation(trx, { ...op, resource_id: other.id }))).toBe(true);
      expect(await repo.findOperation(resource.id, "op-1")).toEqual(op);
      expect(await repo.findOperation(resource.id, "missing")).toBeUndefined();

      const failed = { status: "Failed", errorCode: "EmailDropped", errorMessage: "gone", updatedAt: 20 };
      await repo.finishOperation(resource.id, "op-1", failed, { onlyIfRunning: true });
      await repo.finishOperation(resource.id, "op-1", { status: "Succeeded", errorCode: null, errorMessage: null, updatedAt: 30 }, { onlyIfRunning: true });
      expect(await repo.findOperation(resource.id, "op-1")).toEqual({ ...op, status: "Failed", error_code: "EmailDropped", error_message: "gone", updated_at: 20 });
      await repo.finishOperation(resource.id, "op-1", { status: "Succeeded", errorCode: null, errorMessage: null, updatedAt: 40 });
      expect(await repo.findOperation(resource.id, "op-1")).toMatchObject({ status: "Succeeded", error_code: null, updated_at: 40 });
      expect(await repo.findOperation(other.id, "op-1")).toMatchObject({ status: "Running", updated_at: 10 });
    });
  });

  describe("SmsRepository", () => {
    const message = (id: string, resourceId: string, repeatability: string | null) => ({
      id,
      resource_id: resourceId,
      repeatability_request_id: repeatability,
      from_number: "+14255550100",
      to_number: "+14255550123",
      delivery_status: "Delivered",
      segments: 1,
      tag: null,
      created_at: 100,
    });

    it("stores messages; a repeated repeatability id inserts nothing and names the first message", async () => {
      const { store, resource, other } = await open();
      const repo = new SmsRepository(store);
      expect(await store.write((trx) => repo.insertMessage(trx, message("m1", resource.id, "r-1")))).toEqual({ inserted: true });
      expect(await store.write((trx) => repo.insertMessage(trx, message("m2", resource.id, "r-1")))).toEqual({ inserted: false, originalId: "m1" });
      expect(await store.write((trx) => repo.insertMessage(trx, message("m3", other.id, "r-1")))).toEqual({ inserted: true });
      expect(await store.write((trx) => repo.insertMessage(trx, message("m4", resource.id, null)))).toEqual({ inserted: true });
      expect(await store.write((trx) => repo.insertMessage(trx, message("m5", resource.id, null)))).toEqual({ inserted: true });
      expect(await repo.findMessage(resource.id, "m1")).toEqual(message("m1", resource.id, "r-1"));
      expect(await repo.findMessage(resource.id, "m2")).toBeUndefined();
      expect(await repo.findMessage(resource.id, "m3")).toBeUndefined();
    });

    it("keeps opt-outs per (resource, sender, recipient) and webhooks per resource", async () => {
      const { store, resource, other } = await open();
      const repo = new SmsRepository(store);
      const from = "+14255550100";
      await store.write(async (trx) => {
        await repo.addOptOut(trx, resource.id, from, "+14255550001", 1);
        await repo.addOptOut(trx, resource.id, from, "+14255550001", 2);
        await repo.addOptOut(trx, resource.id, from, "+14255550002", 3);
        await repo.addOptOut(trx, other.id, from, "+14255550003", 4);
      });
      expect((await repo.optedOut(resource.id, from, ["+14255550001", "+14255550002", "+14255550003"])).sort()).toEqual(["+14255550001", "+14255550002"]);
      expect(await repo.optedOut(resource.id, "+14255559999", ["+14255550001"])).toEqual([]);
      expect(await repo.optedOut(resource.id, from, [])).toEqual([]);
      await store.write((trx) => repo.removeOptOut(trx, resource.id, from, "+14255550001"));
      expect(await store.write((trx) => repo.isOptedOut(trx, resource.id, from, "+14255550001"))).toBe(false);
      expect(await store.write((trx) => repo.isOptedOut(trx, resource.id, from, "+14255550002"))).toBe(true);

      await repo.addWebhook(resource.id, "https://b.example/hook", 1);
      await repo.addWebhook(resource.id, "https://a.example/hook", 2);
      await repo.addWebhook(resource.id, "https://b.example/hook", 3);
      await repo.addWebhook(other.id, "https://c.example/hook", 4);
      expect(await repo.listWebhooks(resource.id)).toEqual(["https://b.example/hook", "https://a.example/hook"]);
      expect(await repo.removeWebhook(resource.id, "https://b.example/hook")).toBe(true);
      expect(await repo.removeWebhook(resource.id, "https://b.example/hook")).toBe(false);
      expect(await repo.listWebhooks(resource.id)).toEqual(["https://a.example/hook"]);
      expect(await repo.listWebhooks(other.id)).toEqual(["https://c.example/hook"]);
    });
  });

  describe("PhoneNumberRepository", () => {
    const N1 = "+18005550001";
    const N2 = "+18005550002";
    const N3 = "+18005550003";
    const owned = (phoneNumber: string, resourceId: string) => ownedNumberRow(phoneNumber, resourceId, 50);

    it("holds a number once; owned and others' unexpired holds are taken; holds expire, extend and release", async () => {
      const { store, resource } = await open();
      const repo = new PhoneNumberRepository(store);
      const hold = (phoneNumber: string, holder: string, expiresAt: number) => ({
        phone_number: phoneNumber,
        resource_id: resource.id,
        holder_kind: "search",
        holder_id: holder,
        expires_at: expiresAt,
      });
      expect(await store.write((trx) => repo.insertHolds(trx, [hold(N1, "s1", 100), hold(N2, "s1", 100)]))).toEqual(new Set([N1, N2]));
      expect(await store.write((trx) => repo.insertHolds(trx, [hold(N2, "s2", 100), hold(N3, "s2", 100)]))).toEqual(new Set([N3]));
      expect(await repo.insertNumbers(store.db, [owned("+18005550009", resource.id)])).toBe(1);
      expect(await repo.insertNumbers(store.db, [owned("+18005550009", resource.id)])).toBe(0);
      const all = [N1, N2, N3, "+18005550009", "+18005550010"];
      expect([...(await repo.takenNumbers(store.db, all, 50))].sort()).toEqual([N1, N2, N3, "+18005550009"]);
      expect([...(await repo.takenNumbers(store.db, all, 50, "s1"))].sort()).toEqual([N3, "+18005550009"]);
      expect([...(await repo.takenNumbers(store.db, all, 100))]).toEqual(["+18005550009"]);

      await store.write((trx) => repo.extendHolds(trx, "s2", 200));
      expect(await store.write((trx) => repo.releaseHolds(trx, "s1", 150))).toBe(0); // s1's holds expired at 100
      await store.write((trx) => repo.deleteExpiredHolds(trx, 150));
      expect([...(await repo.takenNumbers(store.db, [N1, N2, N3], 150))]).toEqual([N3]);
      await store.write((trx) => repo.deleteHolds(trx, "s2", N3));
      expect((await repo.takenNumbers(store.db, [N1, N2, N3], 150)).size).toBe(0);
      await store.write((trx) => repo.insertHolds(trx, [hold(N1, "s3", 300), hold(N2, "s3", 300)]));
      expect(await store.write((trx) => repo.releaseHolds(trx, "s3", 150))).toBe(2);
    });

    it("keeps purchased numbers per resource: find, list pages, capabilities, delete", async () => {
      const { store, resource, other } = await open();
      const repo = new PhoneNumberRepository(store);
      expect(await store.write((trx) => repo.insertNumbers(trx, [owned(N2, resource.id), owned(N1, resource.id), owned(N3, other.id)]))).toBe(3);
      expect(await repo.findNumber(resource.id, N1)).toEqual(owned(N1, resource.id));
      expect(await repo.findNumber(resource.id, N3)).toBeUndefined();
      expect(await repo.listNumbers(resource.id, 0, 1)).toEqual({ rows: [owned(N1, resource.id)], more: true });
      expect(await repo.listNumbers(resource.id, 1, 5)).toEqual({ rows: [owned(N2, resource.id)], more: false });
      await store.write((trx) => repo.setCapabilities(trx, N1, { calling: "inbound", sms: "outbound" }));
      expect(await repo.findNumber(resource.id, N1)).toMatchObject({ calling: "inbound", sms: "outbound" });
      expect(await store.write((trx) => repo.deleteNumber(trx, resource.id, N3))).toBe(false);
      expect(await store.write((trx) => repo.deleteNumber(trx, resource.id, N1))).toBe(true);
      expect((await repo.listNumbers(resource.id, 0, 5)).rows.map((r) => r.phone_number)).toEqual([N2]);
    });

    it("stores searches (claimed once), reservations and operations per resource", async () => {
      const { store, resource, other } = await open();
      const repo = new PhoneNumberRepository(store);
      const search = {
        id: "s1",
        resource_id: resource.id,
        country_code: "US",
        phone_number_type: "tollFree",
        assignment_type: "application",
        calling: "none",
        sms: "outbound",
        phone_numbers: JSON.stringify([N1]),
        cost_amount: 2,
        cost_currency: "USD",
        created_at: 10,
        expires_at: 1_000,
        purchased_at: null,
      };
      await store.write((trx) => repo.insertSearch(trx, search));
      expect(await repo.findSearch(resource.id, "s1")).toEqual(search);
      expect(await repo.findSearch(other.id, "s1")).toBeUndefined();
      expect(await store.write((trx) => repo.claimSearch(trx, "s1", 20))).toBe(true);
      expect(await store.write((trx) => repo.claimSearch(trx, "s1", 30))).toBe(false);
      expect(await repo.findSearch(resource.id, "s1")).toMatchObject({ purchased_at: 20 });

      const reservation = (id: string, createdAt: number) => ({
        id,
        resource_id: resource.id,
        status: "active",
        phone_numbers: "[]",
        created_at: createdAt,
        updated_at: createdAt,
        expires_at: createdAt + 100,
      });
      await store.write(async (trx) => {
        expect(await repo.insertReservation(trx, reservation("r2", 5))).toBe(true);
        expect(await repo.insertReservation(trx, reservation("r1", 5))).toBe(true);
        expect(await repo.insertReservation(trx, reservation("r0", 9))).toBe(true);
      });
      // A second first write of an id (two PATCHes at once) inserts nothing and says so, instead of a duplicate-key error.
      expect(await store.write((trx) => repo.insertReservation(trx, reservation("r0", 11)))).toBe(false);
      expect(await repo.listReservations(resource.id, 0, 2)).toEqual({ rows: [reservation("r1", 5), reservation("r2", 5)], more: true });
      expect((await repo.listReservations(resource.id, 2, 2)).rows.map((r) => r.id)).toEqual(["r0"]);
      expect(await repo.listReservations(other.id, 0, 2)).toEqual({ rows: [], more: false });
      await store.write((trx) => repo.updateReservation(trx, "r1", { status: "completed", phone_numbers: JSON.stringify([N2]), updated_at: 7 }));
      expect(await repo.findReservation("r1")).toEqual({ ...reservation("r1", 5), status: "completed", phone_numbers: JSON.stringify([N2]), updated_at: 7 });
      expect(await repo.findReservation("r1", other.id)).toBeUndefined();
      await store.write((trx) => repo.deleteReservation(trx, "r1"));
      expect(await repo.findReservation("r1")).toBeUndefined();

      const op = {
        id: "search_s1",
        resource_id: resource.id,
        operation_type: "search",
        status: "succeeded",
        resource_location: "/availablePhoneNumbers/searchResults/s1",
        error_code: null,
        error_message: null,
        created_at: 10,
        last_action_at: 10,
      };
      await store.write((trx) => repo.insertOperation(trx, op));
      expect(await repo.findOperation(resource.id, "search_s1")).toEqual(op);
      expect(await repo.deleteOperation(other.id, "search_s1")).toBe(false);
      expect(await repo.deleteOperation(resource.id, "search_s1")).toBe(true);
      expect(await repo.findOperation(resource.id, "search_s1")).toBeUndefined();
    });
  });

  describe("EntraPrincipalRepository", () => {
    const principal = (objectId: string, kind: "service-principal" | "user", name: string, createdAt: number) => ({
      object_id: objectId,
      tenant_id: "tenant-1",
      kind,
      name,
      client_id: kind === "user" ? null : `client-${objectId}`,
      enabled: 1,
      password_hash: kind === "user" ? "hash" : null,
      certificate_pem: null,
      created_at: createdAt,
    });

    it("finds principals by object id, client id, kind and name, and by any of them", async () => {
      const { store } = await open();
      const repo = new EntraPrincipalRepository(store);
      await store.write(async (trx) => {
        await repo.insert(trx, principal("o1", "service-principal", "app", 1));
        await repo.insert(trx, principal("o2", "user", "app", 2));
        await repo.insert(trx, principal("o3", "service-principal", "o1", 3));
      });
      expect(await repo.find("o1")).toEqual(principal("o1", "service-principal", "app", 1));
      expect(await repo.find("missing")).toBeUndefined();
      expect((await repo.findByClientId("client-o3"))?.object_id).toBe("o3");
      expect((await repo.findByName("user", "app"))?.object_id).toBe("o2");
      expect(await repo.findByName("user", "o1")).toBeUndefined();
      expect((await repo.matching("o1")).map((p) => p.object_id)).toEqual(["o1", "o3"]);
      expect((await repo.matching("app")).map((p) => p.object_id)).toEqual(["o1", "o2"]);
      expect((await repo.list()).map((p) => p.object_id)).toEqual(["o1", "o2", "o3"]);
      expect((await repo.list("user")).map((p) => p.object_id)).toEqual(["o2"]);
    });

    it("keeps secrets per principal; enabling, removing a secret and deleting announce changes; delete takes secrets and roles", async () => {
      const { store, changes } = await open();
      const repo = new EntraPrincipalRepository(store);
      const roles = new RoleRepository(store);
      await store.write(async (trx) => {
        await repo.insert(trx, principal("o1", "service-principal", "app", 1));
        await repo.insertSecret(trx, { id: "s1", object_id: "o1", hash: "h1", created_at: 2, expires_at: null });
        await repo.insertSecret(trx, { id: "s2", object_id: "o1", hash: "h2", created_at: 3, expires_at: 99 });
      });
      await roles.addAssignment({ id: "a1", principalId: "o1", roleName: "Reader", scope: "*", createdAt: 4 });
      changes.length = 0;
      expect(await repo.findSecret("o1", "s1")).toEqual({ id: "s1", object_id: "o1", hash: "h1", created_at: 2, expires_at: null });
      expect(await repo.findSecret("o2", "s1")).toBeUndefined();
      expect(await repo.listSecrets("o1")).toEqual([
        { id: "s1", created_at: 2, expires_at: null },
        { id: "s2", created_at: 3, expires_at: 99 },
      ]);
      expect(await repo.deleteSecret("o1", "s1")).toBe(true);
      expect(await repo.deleteSecret("o1", "s1")).toBe(false);
      expect(await repo.setEnabled("o1", false)).toBe(true);
      expect(await repo.setEnabled("missing", false)).toBe(false);
      expect(Number((await repo.find("o1"))!.enabled)).toBe(0);
      expect(await repo.delete("o1")).toBe(true);
      expect(await repo.delete("o1")).toBe(false);
      expect(await repo.listSecrets("o1")).toEqual([]);
      expect(await roles.listAssignments("o1")).toEqual([]);
      expect(changes.map((c) => [c.topic, c.subject])).toEqual([
        [ENTRA_PRINCIPAL_CHANGED, "o1"],
        [ENTRA_PRINCIPAL_CHANGED, "o1"],
        [ENTRA_PRINCIPAL_CHANGED, "o1"],
        [RBAC_CHANGED, "o1"],
      ]);
    });
  });
});
