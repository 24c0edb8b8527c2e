import { PhoneNumbersClient } from "@azure/communication-phone-numbers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iter) out.push(x);
  return out;
}

describe.each(backendNames)("Phone Numbers through @azure/communication-phone-numbers (%s)", (backend) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ backend });
  });
  afterAll(async () => {
    await srv?.close();
  });

  describe.each(["https", "http"] as const)("over %s", (scheme) => {
    const client = () =>
      scheme === "https" ? new PhoneNumbersClient(srv.connectionString("https")) : new PhoneNumbersClient(srv.connectionString("http"), { allowInsecureConnection: true });

    it("browses the catalogue: countries, localities, area codes, offerings", async () => {
      const c = client();
      const countries = await collect(c.listAvailableCountries());
      expect(countries.map((x) => x.countryCode)).toEqual(expect.arrayContaining(["US", "CA", "GB"]));
      expect(countries.find((x) => x.countryCode === "US")?.localizedName).toBe("United States");

      const localities = await collect(c.listAvailableLocalities("US"));
      expect(localities).toContainEqual({ localizedName: "Seattle", administrativeDivision: { localizedName: "Washington", abbreviatedName: "WA" } });
      const nyOnly = await collect(c.listAvailableLocalities("US", { administrativeDivision: "NY" }));
      expect(nyOnly.map((l) => l.localizedName)).toEqual(["New York"]);

      const tollFree = await collect(c.listAvailableTollFreeAreaCodes("US"));
      expect(tollFree.map((a) => a.areaCode)).toEqual(["800", "833", "844"]);
      const geographic = await collect(c.listAvailableGeographicAreaCodes("US", { assignmentType: "person", locality: "Seattle", administrativeDivision: "WA" }));
      expect(geographic.map((a) => a.areaCode)).toEqual(["206"]);
      const mobile = await collect(c.listAvailableMobileAreaCodes("US"));
      expect(mobile).toEqual([]);

      const offerings = await collect(c.listAvailableOfferings("US", { phoneNumberType: "tollFree" }));
      expect(offerings).toEqual([
        {
          phoneNumberType: "tollFree",
          assignmentType: "application",
          availableCapabilities: { calling: "inbound+outbound", sms: "inbound+outbound" },
          cost: { amount: 2, currencyCode: "USD", billingFrequency: "monthly" },
        },
      ]);
    });

    it("pages countries with a nextLink that carries api-version", async () => {
      const pages = [];
      // The generated client takes maxPageSize (not in the public option type) and follows nextLink verbatim.
      for await (const page of client().listAvailableCountries({ maxPageSize: 1 } as object).byPage()) pages.push(page);
      expect(pages.length).toBe(3);
      expect(pages.flat().map((c) => c.countryCode)).toEqual(["CA", "GB", "US"]);
    });

    it("searches, purchases, gets, updates, lists and releases through the SDK pollers", async () => {
      const c = client();
      const searchPoller = await c.beginSearchAvailablePhoneNumbers({
        countryCode: "US",
        phoneNumberType: "tollFree",
        assignmentType: "application",
        capabilities: { calling: "none", sms: "outbound" },
        areaCode: "833",
        quantity: 2,
      });
      const search = await searchPoller.pollUntilDone();
      expect(search.phoneNumbers).toHaveLength(2);
      for (const n of search.phoneNumbers) expect(n).toMatch(/^\+1833555\d{4}$/);
      expect(search.cost).toEqual({ amount: 2, currencyCode: "USD", billingFrequency: "monthly" });
      expect(search.searchExpiresBy.getTime()).toBeGreaterThan(Date.now());
      expect(search.capabilities).toEqual({ calling: "none", sms: "outbound" });

      const purchase = await c.beginPurchasePhoneNumbers(search.searchId);
      await purchase.pollUntilDone();
      expect(purchase.getOperationState().isCompleted).toBe(true);

      const bought = await c.getPurchasedPhoneNumber(search.phoneNumbers[0]!);
      expect(bought).toMatchObject({
        id: search.phoneNumbers[0]!.slice(1),
        phoneNumber: search.phoneNumbers[0],
        countryCode: "US",
        phoneNumberType: "tollFree",
        assignmentType: "application",
        capabilities: { calling: "none", sms: "outbound" },
        cost: { amount: 2, currencyCode: "USD", billingFrequency: "monthly" },
      });
      expect(bought.purchaseDate).toBeInstanceOf(Date);

      const update = await c.beginUpdatePhoneNumberCapabilities(search.phoneNumbers[0]!, { calling: "inbound+outbound", sms: "inbound+outbound" });
      const updated = await update.pollUntilDone();
      expect(updated.capabilities).toEqual({ calling: "inbound+outbound", sms: "inbound+outbound" });
      expect((await c.getPurchasedPhoneNumber(search.phoneNumbers[0]!)).capabilities.sms).toBe("inbound+outbound");

      const listed = await collect(c.listPurchasedPhoneNumbers());
      expect(listed.map((n) => n.phoneNumber)).toEqual(expect.arrayContaining(search.phoneNumbers));

      const release = await c.beginReleasePhoneNumber(search.phoneNumbers[1]!);
      await release.pollUntilDone();
      await expect(c.getPurchasedPhoneNumber(search.phoneNumbers[1]!)).rejects.toMatchObject({ statusCode: 404, code: "NotFound" });
    });

    it("lists purchased numbers page by page (nextLink with api-version)", async () => {
      const c = client();
      const search = await (
        await c.beginSearchAvailablePhoneNumbers({ countryCode: "CA", phoneNumberType: "geographic", assignmentType: "application", capabilities: { calling: "inbound+outbound", sms: "none" }, quantity: 3 })
      ).pollUntilDone();
      await (await c.beginPurchasePhoneNumbers(search.searchId)).pollUntilDone();
      const pages = [];
      for await (const page of c.listPurchasedPhoneNumbers({ top: 2 } as object).byPage()) pages.push(page);
      expect(pages.length).toBeGreaterThanOrEqual(2);
      expect(pages.flat().map((n) => n.phoneNumber)).toEqual(expect.arrayContaining(search.phoneNumbers));
    });

    it("browses, reserves, lists, gets and purchases a reservation; deletes another", async () => {
      const c = client();
      const browseRequest = { countryCode: "US", phoneNumberType: "geographic", assignmentType: "person", capabilities: { sms: "outbound" } } as const;
      const browsed = await c.browseAvailablePhoneNumbers(browseRequest);
      expect(browsed.phoneNumbers.length).toBeGreaterThan(1);
      const [first, second] = browsed.phoneNumbers;
      expect(first).toMatchObject({ countryCode: "US", phoneNumberType: "geographic", assignmentType: "person", status: "available" });

      const reservationId = crypto.randomUUID();
      const reservation = await c.createOrUpdateReservation({ reservationId }, { add: [first!, second!] });
      expect(reservation.status).toBe("active");
      expect(Object.keys(reservation.phoneNumbers ?? {}).sort()).toEqual([first!.id, second!.id].sort());
      const shrunk = await c.createOrUpdateReservation({ reservationId }, { remove: [second!.id!] });
      expect(Object.keys(shrunk.phoneNumbers ?? {})).toEqual([first!.id]);
      expect((await c.getReservation(reservationId)).phoneNumbers?.[first!.id!]?.status).toBe("reserved");
      const all = await collect(c.listReservations());
      expect(all.map((r) => r.id)).toContain(reservationId);

      await (await c.beginReservationPurchase(reservationId)).pollUntilDone();
      expect((await c.getPurchasedPhoneNumber(first!.phoneNumber!)).phoneNumber).toBe(first!.phoneNumber);
      expect((await c.getReservation(reservationId)).status).toBe("completed");

      const other = crypto.randomUUID();
      await c.createOrUpdateReservation({ reservationId: other }, { add: [second!] });
      await c.deleteReservation(other);
      await expect(c.getReservation(other)).rejects.toMatchObject({ statusCode: 404, code: "ReservationNotFound" });
    });

    it("searches operator information", async () => {
      const result = await client().searchOperatorInformation(["+14255550123"], { includeAdditionalOperatorDetails: true });
      expect(result.values?.[0]).toMatchObject({ phoneNumber: "+14255550123", isoCountryCode: "US", numberType: "geographic" });
      expect(result.values?.[0]?.operatorDetails?.name).toBe("Switchboard");
    });
  });
});
