import { PhoneNumbersClient } from "@azure/communication-phone-numbers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixedClock } from "../../src/util/clock.js";
import type { Resource } from "../../src/resources/resource.js";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { api, requestWithHost } from "./helpers.js";

const V = "2025-06-01";
const tollFreeSms = { countryCode: "US", phoneNumberType: "tollFree", assignmentType: "application", capabilities: { calling: "none", sms: "outbound" } } as const;

describe.each(backendNames)("Phone Numbers refusals and isolation (%s)", (backend) => {
  let srv: TestServer;
  let other: Resource;
  let port: number;
  // The server clock starts 14 minutes behind and only moves forward, 6 minutes at a time (expiring 5-minute
  // holds), so the SDK's x-ms-date stays within the 15 minutes of allowed skew throughout.
  const clock = createFixedClock(Date.now() - 14 * 60_000);
  beforeAll(async () => {
    srv = await startTestServer({
      backend,
      clock,
      config: {
        phoneNumbers: {
          searchHoldMinutes: 5,
          reservationHoldMinutes: 5,
          // A small inventory, so that exhaustion and races are visible.
          inventory: [
            { countryCode: "US", phoneNumberType: "tollFree", assignmentType: "application", areaCode: "800", first: "+18005550100", count: 6, capabilities: { calling: "inbound+outbound", sms: "inbound+outbound" }, cost: { amount: 2, currencyCode: "USD" } },
            { countryCode: "GB", phoneNumberType: "geographic", assignmentType: "application", areaCode: "20", first: "+442079460000", count: 2, capabilities: { calling: "inbound+outbound", sms: "none" }, cost: { amount: 1, currencyCode: "GBP" } },
          ],
        },
      },
    });
    other = await srv.server.core.resources.create("contoso", ["contoso.localhost"]);
    await srv.server.core.registry.settled();
    port = Number(new URL(srv.httpUrl).port);
  });
  afterAll(async () => {
    await srv?.close();
  });
  const client = () => new PhoneNumbersClient(srv.connectionString("http"), { allowInsecureConnection: true });
  const asOther = (method: string, path: string, body = "") => requestWithHost(port, "contoso.localhost", other.keys.primary.value, method, `${path}${path.includes("?") ? "&" : "?"}api-version=${V}`, body);

  it("an expired search cannot be purchased, and its numbers are free again", async () => {
    const search = await (await client().beginSearchAvailablePhoneNumbers({ ...tollFreeSms, quantity: 2 })).pollUntilDone();
    clock.advance(6 * 60_000);
    await expect(client().beginPurchasePhoneNumbers(search.searchId)).rejects.toMatchObject({ statusCode: 400, code: "SearchExpired" });
    const browse = await asOther("POST", "/availablePhoneNumbers/countries/US/:browse", JSON.stringify({ phoneNumberType: "tollFree" }));
    expect(browse.body.phoneNumbers.map((n: { phoneNumber: string }) => n.phoneNumber)).toEqual(expect.arrayContaining(search.phoneNumbers));
  });

  it("a search of another resource cannot be purchased or read; its held numbers are not offered to others", async () => {
    const search = await (await client().beginSearchAvailablePhoneNumbers({ ...tollFreeSms, quantity: 2 })).pollUntilDone();
    const purchase = await asOther("POST", "/availablePhoneNumbers/:purchase", JSON.stringify({ searchId: search.searchId }));
    expect(purchase).toMatchObject({ status: 404, body: { error: { code: "SearchNotFound" } } });
    const read = await asOther("GET", `/availablePhoneNumbers/searchResults/${search.searchId}`);
    expect(read).toMatchObject({ status: 404, body: { error: { code: "SearchNotFound" } } });
    const browse = await asOther("POST", "/availablePhoneNumbers/countries/US/:browse", JSON.stringify({ phoneNumberType: "tollFree" }));
    expect(browse.status).toBe(200);
    const offered = browse.body.phoneNumbers.map((n: { phoneNumber: string }) => n.phoneNumber);
    for (const n of search.phoneNumbers) expect(offered).not.toContain(n);
    await (await client().beginPurchasePhoneNumbers(search.searchId)).pollUntilDone();
    await expect(client().beginPurchasePhoneNumbers(search.searchId)).rejects.toMatchObject({ statusCode: 409, code: "SearchAlreadyPurchased" });

    // Another resource's number: invisible, cannot be changed or released.
    const n = encodeURIComponent(search.phoneNumbers[0]!);
    // ACS's recorded NotFound for a number the resource does not own.
    const notFound = { status: 404, body: { error: { code: "NotFound", message: `Input phoneNumber ${search.phoneNumbers[0]} cannot be found.` } } };
    expect(await asOther("GET", `/phoneNumbers/${n}`)).toMatchObject(notFound);
    expect(await asOther("DELETE", `/phoneNumbers/${n}`)).toMatchObject(notFound);
    // ACS's recorded answer for a capabilities update of another resource's number.
    expect(await asOther("PATCH", `/phoneNumbers/${n}/capabilities`, JSON.stringify({ sms: "none" }))).toMatchObject({ status: 403, body: { error: { code: "InsufficientPermissions" } } });
    const list = await asOther("GET", "/phoneNumbers");
    expect(list.body.phoneNumbers.map((p: { phoneNumber: string }) => p.phoneNumber)).not.toContain(search.phoneNumbers[0]);
    // Operations are per resource too.
    const ops = await signedFetch(api(srv, `/phoneNumbers/operations/search_${search.searchId}`, V), { accessKey: srv.currentResource().keys.primary.value });
    expect(ops.status).toBe(200);
    expect(await asOther("GET", `/phoneNumbers/operations/search_${search.searchId}`)).toMatchObject({ status: 404, body: { error: { code: "PhoneNumberOperationNotFound" } } });
  });

  it("concurrent searches from two resources never hold or buy the same number", async () => {
    const service = srv.server.core.messaging.phoneNumbers;
    const mine = srv.currentResource();
    // Release whatever earlier tests bought, then race 10 searches of one number each for the 6-number block.
    for (const row of (await service.listNumbers(mine, 0, 100)).rows) await service.release(mine, row.phone_number);
    clock.advance(6 * 60_000); // earlier holds expire
    const resources = [mine, other];
    const searches = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        service.search(resources[i % 2]!, { countryCode: "US", phoneNumberType: "tollFree", assignmentType: "application", capabilities: { calling: "none", sms: "none" }, quantity: 1 }),
      ),
    );
    const results = await Promise.all(searches.map((s, i) => service.getSearch(resources[i % 2]!, s.searchId)));
    const held = results.flatMap((r) => JSON.parse(r.phone_numbers) as string[]);
    expect(held).toHaveLength(6);
    expect(new Set(held).size).toBe(6);
    const failed = await Promise.all(searches.map((s, i) => service.getOperation(resources[i % 2]!, s.operationId)));
    expect(failed.filter((o) => o.status === "failed").map((o) => o.error_code)).toEqual(["OutOfStock", "OutOfStock", "OutOfStock", "OutOfStock"]);
    const bought = await Promise.all(
      results.filter((r) => r.phone_numbers !== "[]").map((r) => service.purchaseSearch(r.resource_id === mine.id ? mine : other, r.id)),
    );
    expect(new Set(bought.flatMap((b) => b.numbers)).size).toBe(6);
    const owners = await srv.server.core.store.db.selectFrom("phone_numbers").select(["phone_number", "resource_id"]).execute();
    expect(owners).toHaveLength(6);
  });

  it("two concurrent purchases of one search buy its numbers once", async () => {
    const service = srv.server.core.messaging.phoneNumbers;
    const mine = srv.currentResource();
    const [n] = (await service.listNumbers(mine, 0, 1)).rows;
    await service.release(mine, n!.phone_number);
    const { searchId } = await service.search(mine, { countryCode: "US", phoneNumberType: "tollFree", assignmentType: "application", capabilities: { calling: "none", sms: "none" }, quantity: 1 });
    const outcomes = await Promise.allSettled([service.purchaseSearch(mine, searchId), service.purchaseSearch(mine, searchId), service.purchaseSearch(mine, searchId)]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    for (const o of outcomes.filter((o) => o.status === "rejected")) expect((o as PromiseRejectedResult).reason).toMatchObject({ code: "SearchAlreadyPurchased", status: 409 });
    const owners = await srv.server.core.store.db.selectFrom("phone_numbers").select("phone_number").where("phone_number", "=", n!.phone_number).execute();
    expect(owners).toHaveLength(1);
  });

  it("an exhausted inventory fails the search operation with OutOfStock through the SDK poller", async () => {
    const searchAll = async () => (await client().beginSearchAvailablePhoneNumbers({ ...tollFreeSms, quantity: 1 })).pollUntilDone();
    await expect(searchAll()).rejects.toThrow(/The long-running operation has failed\. OutOfStock\./);
  });

  it("a reservation reports numbers others hold (207), and an expired reservation cannot be purchased", async () => {
    const gb = await client().browseAvailablePhoneNumbers({ countryCode: "GB", phoneNumberType: "geographic" });
    expect(gb.phoneNumbers).toHaveLength(2);
    const [first, second] = gb.phoneNumbers;
    const theirs = crypto.randomUUID();
    const held = await asOther("PATCH", `/availablePhoneNumbers/reservations/${theirs}`, JSON.stringify({ phoneNumbers: { [first!.id!]: {} } }));
    expect(held.status).toBe(201);
    const mineId = crypto.randomUUID();
    const partial = await client().createOrUpdateReservation({ reservationId: mineId }, { add: [first!, second!] });
    expect(partial.phoneNumbers?.[first!.id!]).toMatchObject({ status: "error", error: { code: "PhoneNumberNotAvailable" } });
    expect(partial.phoneNumbers?.[second!.id!]).toMatchObject({ status: "reserved" });
    expect(await asOther("GET", `/availablePhoneNumbers/reservations/${mineId}`)).toMatchObject({ status: 404, body: { error: { code: "ReservationNotFound" } } });
    clock.advance(6 * 60_000); // past the 5-minute hold
    expect((await client().getReservation(mineId)).status).toBe("expired");
    await expect(client().beginReservationPurchase(mineId)).rejects.toMatchObject({ statusCode: 400, code: "ReservationExpired" });
    await expect(client().deleteReservation(mineId)).rejects.toMatchObject({ statusCode: 409, code: "ReservationNotActive" });
  });

  it("refuses capabilities the offering lacks, unknown countries and malformed bodies with 4xx", async () => {
    await expect(
      client().beginSearchAvailablePhoneNumbers({ countryCode: "GB", phoneNumberType: "geographic", assignmentType: "application", capabilities: { calling: "none", sms: "outbound" } }),
    ).rejects.toMatchObject({ statusCode: 400, code: "CapabilitiesNotSupported" });
    await expect(client().beginSearchAvailablePhoneNumbers({ ...tollFreeSms, countryCode: "ZZ" })).rejects.toMatchObject({ statusCode: 400, code: "CountryNotSupported" });
    const key = srv.currentResource().keys.primary.value;
    const cases: Array<[string, string, string | object]> = [
      ["POST", "/availablePhoneNumbers/countries/US/:search", "not json"],
      ["POST", "/availablePhoneNumbers/countries/US/:search", { phoneNumberType: "tollFree" }],
      ["POST", "/availablePhoneNumbers/countries/US/:search", { ...tollFreeSms, quantity: 0 }],
      ["POST", "/availablePhoneNumbers/:purchase", {}],
      ["PATCH", "/phoneNumbers/%2B18005550100/capabilities", { sms: "sometimes" }],
      ["GET", "/phoneNumbers/not-a-number", ""],
      ["GET", "/phoneNumbers?top=0", ""],
      ["PATCH", "/availablePhoneNumbers/reservations/not-a-uuid", { phoneNumbers: {} }],
      ["POST", "/operatorInformation/:search", { phoneNumbers: [] }],
    ];
    for (const [method, path, body] of cases) {
      const res = await signedFetch(api(srv, path, V), { method, accessKey: key, body: body === "" ? undefined : body });
      expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
      expect(typeof res.body.error.code).toBe("string");
    }
  });

  it("answers a bad paging parameter with 400 InvalidQueryParameter naming it", async () => {
    const key = srv.currentResource().keys.primary.value;
    for (const [path, name] of [
      ["/phoneNumbers?top=0", "top"],
      ["/phoneNumbers?skip=-1", "skip"],
      ["/availablePhoneNumbers/reservations?maxPageSize=abc", "maxPageSize"],
    ] as const) {
      const res = await signedFetch(api(srv, path, V), { method: "GET", accessKey: key });
      expect(res.status, path).toBe(400);
      expect(res.body.error, path).toMatchObject({ code: "InvalidQueryParameter", target: name, message: expect.stringContaining(`The ${name} query parameter`) });
    }
  });
});
