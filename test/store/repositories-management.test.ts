import { afterEach, describe, expect, it } from "vitest";
import { EventOutboxRepository, EventsRepository } from "../../src/events/events-repository.js";
import { ManagementRepository, type ArmEmailDomainRow } from "../../src/management/management-repository.js";
import { IdentityRepository } from "../../src/identity/identity-repository.js";
import { ResourceRepository } from "../../src/resources/resource-repository.js";
import { SmsRepository } from "../../src/sms/sms-repository.js";
import type { Store } from "../../src/store/store.js";
import { backendNames } from "../support/backends.js";
import { createTestDatabase, type TestDatabase } from "./store-fixture.js";

let tdb: TestDatabase;
afterEach(async () => {
  await tdb.closeAll();
});

/** Numbers as the services read them (PostgreSQL returns bigint columns as strings). */
const num = <T extends Record<string, unknown>>(row: T | undefined, ...keys: Array<keyof T>) =>
  row === undefined ? undefined : { ...row, ...Object.fromEntries(keys.map((k) => [k, Number(row[k])])) };

function domainRow(id: string, serviceId: string, name: string, createdAt: number): ArmEmailDomainRow {
  return {
    id,
    service_id: serviceId,
    name,
    management: "CustomerManaged",
    from_sender_domain: name,
    verification_code: `ms-domain-verification=${id}`,
    verified: 0,
    tags: "{}",
    sender_usernames: "[]",
    created_at: createdAt,
    updated_at: createdAt,
  };
}

describe.each(backendNames)("ManagementRepository on %s", (backend) => {
  async function setup(): Promise<{ store: Store; repo: ManagementRepository }> {
    tdb = await createTestDatabase(backend);
    const store = await tdb.open();
    return { store, repo: new ManagementRepository(store) };
  }

  it("ensureSetting: the first value wins, unless replaced; several replicas at once agree", async () => {
    const { repo } = await setup();
    expect(await repo.ensureSetting("subscriptionId", "first", false)).toBe("first");
    expect(await repo.ensureSetting("subscriptionId", "second", false)).toBe("first");
    expect(await repo.ensureSetting("subscriptionId", "pinned", true)).toBe("pinned");
    expect(await repo.ensureSetting("subscriptionId", "other", false)).toBe("pinned");
    const other = new ManagementRepository(await tdb.open());
    const racing = await Promise.all([repo.ensureSetting("race", "a", false), other.ensureSetting("race", "b", false)]);
    expect(racing[0]).toBe(racing[1]);
    expect(["a", "b"]).toContain(racing[0]);
  });

  it("inserts and finds ARM operations; an id is used once", async () => {
    const { repo } = await setup();
    const op = { id: "op-1", kind: "create", target: "/subscriptions/s/resourceGroups/rg", started_at: 1_000, ends_at: 1_400 };
    await repo.insertOperation(op);
    expect(num(await repo.findOperation("op-1"), "started_at", "ends_at")).toEqual(op);
    expect(await repo.findOperation("op-2")).toBeUndefined();
    await expect(repo.insertOperation(op)).rejects.toThrow();
  });

  it("e-mail services: insert, list (oldest first, by resource group case-insensitively), find, tags; a name is unique", async () => {
    const { repo } = await setup();
    const base = { data_location: "Europe", tags: "{}" };
    await repo.insertEmailService({ id: "s-2", name: "beta", resource_group: "RG-One", ...base, created_at: 20, updated_at: 20 });
    await repo.insertEmailService({ id: "s-1", name: "alpha", resource_group: "rg-one", ...base, created_at: 10, updated_at: 10 });
    await repo.insertEmailService({ id: "s-3", name: "gamma", resource_group: "rg-two", ...base, created_at: 10, updated_at: 10 });
    expect((await repo.listEmailServices()).map((s) => s.id)).toEqual(["s-1", "s-3", "s-2"]);
    expect((await repo.listEmailServices("rg-ONE")).map((s) => s.id)).toEqual(["s-1", "s-2"]);
    expect(await repo.listEmailServices("rg-none")).toEqual([]);
    await expect(repo.insertEmailService({ id: "s-4", name: "alpha", resource_group: "rg-two", ...base, created_at: 30, updated_at: 30 })).rejects.toThrow();

    await repo.setEmailServiceTags("s-1", '{"env":"test"}', 99);
    expect(num(await repo.findEmailService("s-1"), "created_at", "updated_at")).toEqual({
      id: "s-1",
      name: "alpha",
      resource_group: "rg-one",
      data_location: "Europe",
      tags: '{"env":"test"}',
      created_at: 10,
      updated_at: 99,
    });
    expect(await repo.findEmailService("s-9")).toBeUndefined();
  });

  it("domains: insert, list oldest first, find, update some columns, delete; deleting a service takes its domains", async () => {
    const { repo } = await setup();
    const base = { data_location: "Europe", tags: "{}", resource_group: "rg" };
    await repo.insertEmailService({ id: "s-1", name: "one", ...base, created_at: 1, updated_at: 1 });
    await repo.insertEmailService({ id: "s-2", name: "two", ...base, created_at: 1, updated_at: 1 });
    await repo.insertDomain(domainRow("d-2", "s-1", "b.example", 20));
    await repo.insertDomain(domainRow("d-1", "s-1", "a.example", 10));
    await repo.insertDomain(domainRow("d-3", "s-2", "c.example", 10));
    await expect(repo.insertDomain(domainRow("d-4", "s-1", "a.example", 30))).rejects.toThrow();
    expect((await repo.listDomains("s-1")).map((d) => d.id)).toEqual(["d-1", "d-2"]);

    await repo.updateDomain("d-1", { verified: 1, updated_at: 50 });
    await repo.updateDomain("d-1", { sender_usernames: '[{"username":"info","displayName":"Info"}]', updated_at: 60 });
    await repo.updateDomain("d-1", { tags: '{"k":"v"}', updated_at: 70 });
    expect(num(await repo.findDomain("d-1"), "created_at", "updated_at", "verified")).toEqual({
      ...domainRow("d-1", "s-1", "a.example", 10),
      verified: 1,
      sender_usernames: '[{"username":"info","displayName":"Info"}]',
      tags: '{"k":"v"}',
      updated_at: 70,
    });
    expect(await repo.findDomain("d-9")).toBeUndefined();

    await repo.deleteDomain("d-2");
    expect((await repo.listDomains("s-1")).map((d) => d.id)).toEqual(["d-1"]);
    expect(await repo.deleteEmailService("s-1")).toEqual(["d-1"]);
    expect(await repo.findEmailService("s-1")).toBeUndefined();
    expect(await repo.findDomain("d-1")).toBeUndefined();
    expect((await repo.listDomains("s-2")).map((d) => d.id)).toEqual(["d-3"]);
    expect(await repo.deleteEmailService("s-9")).toEqual([]);
  });

  it("linked domains: writing replaces the resource's row for that domain; deleting removes only it", async () => {
    const { store, repo } = await setup();
    const resources = new ResourceRepository(store, () => 1);
    const a = await resources.ensureDefault({ name: "dev" });
    const b = await resources.create("other", []);
    const rows = (resourceId: string) =>
      store.db.selectFrom("email_domains").select(["domain", "sender_usernames"]).where("resource_id", "=", resourceId).orderBy("domain").execute();
    await repo.writeLinkedDomain(a.id, "x.example", '["DoNotReply"]', 5);
    await repo.writeLinkedDomain(a.id, "x.example", '["DoNotReply","info"]', 6);
    await repo.writeLinkedDomain(a.id, "y.example", "[]", 7);
    await repo.writeLinkedDomain(b.id, "x.example", '["b"]', 8);
    expect(await rows(a.id)).toEqual([
      { domain: "x.example", sender_usernames: '["DoNotReply","info"]' },
      { domain: "y.example", sender_usernames: "[]" },
    ]);
    await repo.deleteLinkedDomain(a.id, "x.example");
    await repo.deleteLinkedDomain(a.id, "none.example");
    expect(await rows(a.id)).toEqual([{ domain: "y.example", sender_usernames: "[]" }]);
    expect(await rows(b.id)).toEqual([{ domain: "x.example", sender_usernames: '["b"]' }]);
  });
});

describe.each(backendNames)("ResourceRepository.delete purges the resource's data on %s", (backend) => {
  it("removes the resource's rows in every table and leaves another resource's alone; a second delete is false", async () => {
    tdb = await createTestDatabase(backend);
    const store = await tdb.open();
    const resources = new ResourceRepository(store, () => 1);
    const identities = new IdentityRepository(store);
    const sms = new SmsRepository(store);
    const management = new ManagementRepository(store);
    const events = new EventsRepository(store);
    const outbox = new EventOutboxRepository();
    const keep = await resources.ensureDefault({ name: "dev" });
    const gone = await resources.create("gone", []);
    for (const r of [keep, gone]) {
      await store.write(async (trx) => {
        await identities.insert(trx, `id-${r.name}`, r.id, 1);
        await sms.addOptOut(trx, r.id, "+14255550100", "+14255550111", 1);
      });
      await management.writeLinkedDomain(r.id, "x.example", "[]", 1);
      const subscription = `sub-${r.name}`;
      await events.insertSubscription({ id: subscription, resource_id: r.id, endpoint: "https://127.0.0.1:9/hook", schema: "eventgrid", types: null, status: "active", status_detail: null, created_at: 1 });
      await store.write((trx) =>
        outbox.insertDeliveries(trx, [
          { subscription_id: subscription, resource_id: r.id, event_id: `e-${r.name}`, event_type: "Microsoft.Communication.SMSReceived", body: "{}", status: "pending", attempts: 0, next_attempt_at: 1, claimed_until: null, last_error: null, created_at: 1, dead_at: null },
        ]),
      );
    }
    expect(await resources.delete(gone.id)).toBe(true);
    expect(await resources.delete(gone.id)).toBe(false);
    expect((await resources.list()).map((r) => r.name)).toEqual(["dev"]);
    for (const table of ["identities", "sms_opt_outs", "email_domains", "event_subscriptions", "event_deliveries"] as const) {
      const rows = await store.db.selectFrom(table).select("resource_id").execute();
      expect(rows.map((r) => r.resource_id), table).toEqual([keep.id]);
    }
  });
});

