import { afterEach, describe, expect, it } from "vitest";
import { ChatRepository } from "../../src/chat/chat-repository.js";
import { ConsoleSessionRepository, ConsoleViewRepository, type ConsoleSessionRow } from "../../src/console/console-repository.js";
import { IdentityRepository } from "../../src/identity/identity-repository.js";
import { SigningKeyRepository } from "../../src/keys/signing-key-repository.js";
import { PhoneNumberRepository } from "../../src/phone-numbers/phone-number-repository.js";
import { ResourceRepository } from "../../src/resources/resource-repository.js";
import { backendNames } from "../support/backends.js";
import { chatThreadRow, createTestDatabase, ownedNumberRow, type TestDatabase } from "./store-fixture.js";

let tdb: TestDatabase;
afterEach(async () => {
  await tdb.closeAll();
});

const session = (idHash: string, userObjectId: string | null = null): ConsoleSessionRow => ({
  id_hash: idHash,
  operator: "op",
  user_object_id: userObjectId,
  created_at: 10,
  expires_at: 1_000,
  ended_at: null,
});

describe.each(backendNames)("ConsoleSessionRepository on %s", (backend) => {
  it("a link is spent once, never after it expires; sessions are stored, found and ended", async () => {
    tdb = await createTestDatabase(backend);
    const store = await tdb.open();
    const repo = new ConsoleSessionRepository(store);
    await repo.insertLink({ token_hash: "h1", operator: "alice", user_object_id: "oid-1", created_at: 0, expires_at: 100, used_at: null });
    await repo.insertLink({ token_hash: "h2", operator: "bob", user_object_id: null, created_at: 0, expires_at: 100, used_at: null });
    await expect(repo.insertLink({ token_hash: "h1", operator: "x", user_object_id: null, created_at: 0, expires_at: 100, used_at: null })).rejects.toThrow();

    expect(await store.write((trx) => repo.spendLink(trx, "h2", 100))).toBe(false); // expired at 100
    expect(await store.write((trx) => repo.spendLink(trx, "none", 1))).toBe(false);
    // Two redeemers at once (two processes): exactly one spends the link.
    const otherStore = await tdb.open();
    const other = new ConsoleSessionRepository(otherStore);
    const spent = await Promise.all([store.write((trx) => repo.spendLink(trx, "h1", 50)), otherStore.write((trx) => other.spendLink(trx, "h1", 50))]);
    expect(spent.sort()).toEqual([false, true]);
    expect(await store.write((trx) => repo.getLink(trx, "h1"))).toEqual({ operator: "alice", user_object_id: "oid-1" });
    await expect(store.write((trx) => repo.getLink(trx, "none"))).rejects.toThrow();

    await store.write((trx) => repo.insertSession(trx, session("s1", "oid-1")));
    await store.write((trx) => repo.insertSession(trx, session("s2")));
    const found = await repo.findSession("s1");
    expect({ ...found, created_at: Number(found?.created_at), expires_at: Number(found?.expires_at) }).toEqual(session("s1", "oid-1"));
    expect(await repo.findSession("none")).toBeUndefined();
    await repo.endSession("s1", 77);
    expect(Number((await repo.findSession("s1"))?.ended_at)).toBe(77);
    expect((await repo.findSession("s2"))?.ended_at).toBeNull();
    // A session insert rolled back with its transaction leaves nothing.
    await expect(
      store.write(async (trx) => {
        await repo.insertSession(trx, session("s3"));
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await repo.findSession("s3")).toBeUndefined();
  });
});

describe.each(backendNames)("ConsoleViewRepository on %s", (backend) => {
  it("pages identities by id (prefix search, keyset after), finds and counts per resource", async () => {
    tdb = await createTestDatabase(backend);
    const store = await tdb.open();
    const resources = new ResourceRepository(store, () => 1);
    const a = await resources.ensureDefault({ name: "dev" });
    const b = await resources.create("other", []);
    const identities = new IdentityRepository(store);
    await store.write(async (trx) => {
      for (const id of ["8:acs:x-3", "8:acs:x-1", "8:acs:y-1", "8:acs:x-2"]) await identities.insert(trx, id, a.id, 5);
      await identities.insert(trx, "8:acs:x-0", b.id, 5);
    });
    const views = new ConsoleViewRepository(store);
    const page = async (search: string, after: string | undefined, limit: number) => (await views.listIdentities(a.id, search, after, limit)).map((r) => r.id);
    expect(await page("", undefined, 10)).toEqual(["8:acs:x-1", "8:acs:x-2", "8:acs:x-3", "8:acs:y-1"]);
    expect(await page("", undefined, 2)).toEqual(["8:acs:x-1", "8:acs:x-2"]);
    expect(await page("", "8:acs:x-2", 2)).toEqual(["8:acs:x-3", "8:acs:y-1"]);
    expect(await page("8:acs:x", undefined, 10)).toEqual(["8:acs:x-1", "8:acs:x-2", "8:acs:x-3"]);
    expect(await page("8:acs:x", "8:acs:x-1", 10)).toEqual(["8:acs:x-2", "8:acs:x-3"]);
    expect(await page("8:acs:z", undefined, 10)).toEqual([]);

    expect((await views.findIdentity(a.id, "8:acs:y-1"))?.id).toBe("8:acs:y-1");
    expect(await views.findIdentity(a.id, "8:acs:x-0")).toBeUndefined(); // another resource's
    expect(await views.count("identities", a.id)).toBe(4);
    expect(await views.count("identities", b.id)).toBe(1);
    expect(await views.count("chat_threads", a.id)).toBe(0);
    expect(await views.count("outbox_messages", a.id)).toBe(0);
    expect(await views.count("calls", a.id)).toBe(0);
  });

  it("lists a resource's numbers by number, live threads newest first, and signing keys newest first", async () => {
    tdb = await createTestDatabase(backend);
    const store = await tdb.open();
    const resources = new ResourceRepository(store, () => 1);
    const a = await resources.ensureDefault({ name: "dev" });
    const b = await resources.create("other", []);
    const number = (phone: string, resourceId: string) => ownedNumberRow(phone, resourceId, 3);
    const numbers = new PhoneNumberRepository(store);
    await store.write((trx) => numbers.insertNumbers(trx, [number("+18005550102", a.id), number("+18005550101", a.id), number("+18005550103", b.id)]));
    const chat = new ChatRepository(store);
    const thread = (id: string, createdAt: number) => chatThreadRow(id, a.id, { createdAt });
    await store.write(async (trx) => {
      await chat.insertThread(trx, thread("19:old@thread.v2", 10));
      await chat.insertThread(trx, thread("19:new@thread.v2", 20));
      await chat.insertThread(trx, thread("19:gone@thread.v2", 30));
      await chat.markThreadDeleted(trx, "19:gone@thread.v2", 40);
    });
    const keys = new SigningKeyRepository(store, "signing_keys");
    const key = (kid: string, createdAt: number) => ({ kid, alg: "ES256", privatePem: `pem-${kid}`, publicJwk: `{"kid":"${kid}"}`, createdAt });
    await keys.rotate(key("k1", 10), "test");
    await keys.rotate(key("k2", 20), "test");

    const views = new ConsoleViewRepository(store);
    expect((await views.phoneNumbers(a.id, 10)).map((n) => n.phone_number)).toEqual(["+18005550101", "+18005550102"]);
    expect((await views.phoneNumbers(a.id, 1)).map((n) => n.phone_number)).toEqual(["+18005550101"]);
    expect((await views.chatThreads(a.id, 10)).map((t) => t.id)).toEqual(["19:new@thread.v2", "19:old@thread.v2"]);
    expect(await views.chatThreads(b.id, 10)).toEqual([]);
    expect(await views.count("chat_threads", a.id)).toBe(3);
    const listed = await views.signingKeys(10);
    expect(listed.map((k) => [k.kid, Number(k.created_at), k.retired_at === null ? null : Number(k.retired_at)])).toEqual([
      ["k2", 20, null],
      ["k1", 10, 20],
    ]);
    expect((await views.signingKeys(1)).map((k) => k.kid)).toEqual(["k2"]);
  });
});
