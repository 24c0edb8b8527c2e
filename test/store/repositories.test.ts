import { afterEach, describe, expect, it } from "vitest";
import type { CallRecord } from "../../src/calling/call-record.js";
import { CallRepository } from "../../src/calling/call-repository.js";
import { IDENTITY_CHANGED, IdentityRepository } from "../../src/identity/identity-repository.js";
import { OutboxRepository, type OutboxEntry } from "../../src/outbox/outbox-repository.js";
import { RESOURCE_CHANGED, ResourceRepository } from "../../src/resources/resource-repository.js";
import type { Change } from "../../src/store/store.js";
import { generateAccessKey } from "../../src/util/crypto.js";
import { backendNames } from "../support/backends.js";
import { createTestDatabase, type TestDatabase } from "./store-fixture.js";

let tdb: TestDatabase;
afterEach(async () => {
  await tdb.closeAll();
});

describe.each(backendNames)("repositories on %s", (backend) => {
  it("migrates an empty database and reopening it is a no-op", async () => {
    tdb = await createTestDatabase(backend);
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
