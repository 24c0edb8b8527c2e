import { z } from "zod";
import { AcsError } from "../errors/acs-errors.js";
import { defineRoute, type HandlerContext, type RouteSpec } from "../http/route.js";
import { firstQuery, pageLink, pageParams } from "../http/query.js";
import type { Capabilities } from "./inventory.js";
import { normalizePhoneNumber, type PhoneNumberService } from "./phone-number-service.js";
import { availableView, operationView, purchasedView, searchView } from "./phone-number-views.js";

const capability = z.enum(["none", "inbound", "outbound", "inbound+outbound"]);
const numberType = z.enum(["geographic", "tollFree", "mobile"]);
const assignment = z.enum(["person", "application"]);

const searchBody = z.object({
  phoneNumberType: numberType,
  assignmentType: assignment,
  capabilities: z.object({ calling: capability, sms: capability }),
  areaCode: z.string().regex(/^\d{1,5}$/).optional(),
  quantity: z.number().int().min(1).max(100).optional(),
});
const purchaseBody = z.object({ searchId: z.string().min(1).max(100), agreeToNotResell: z.boolean().optional() });
const capabilitiesBody = z.object({ calling: capability.optional(), sms: capability.optional() });
const browseBody = z.object({
  phoneNumberType: numberType,
  assignmentType: assignment.optional(),
  capabilities: z.object({ calling: capability.optional(), sms: capability.optional() }).optional(),
  phoneNumberPrefixes: z.array(z.string().regex(/^\+?\d{1,15}$/)).max(20).optional(),
});
const operatorBody = z.object({
  phoneNumbers: z.array(z.string().min(1).max(20)).min(1).max(100),
  options: z.object({ includeAdditionalOperatorDetails: z.boolean().optional() }).optional(),
});

/** Polls are immediate: every operation is already terminal when the 202 is sent. */
const RETRY_AFTER = "1";

function apiVersion(ctx: HandlerContext<unknown>): string {
  return firstQuery(ctx.query, "api-version") ?? "2025-06-01";
}

function url(ctx: HandlerContext<unknown>, path: string): string {
  return `${ctx.baseUrl}${path}?api-version=${encodeURIComponent(apiVersion(ctx))}`;
}

/** The first item of each distinct key, in order (inventory blocks share localities and offerings). */
function firstOfEach<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = keyOf(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function operationHeaders(ctx: HandlerContext<unknown>, operationId: string): Record<string, string> {
  return { "operation-location": url(ctx, `/phoneNumbers/operations/${operationId}`), "operation-id": operationId, "retry-after": RETRY_AFTER };
}

/** Builds a page of a static list (catalogue browsing) with skip/maxPageSize paging. */
function staticPage<T>(ctx: HandlerContext<unknown>, items: T[], path: string, name: string, defaultSize = 100) {
  const { skip, size } = pageParams(ctx.query, "maxPageSize", defaultSize);
  const page = items.slice(skip, skip + size);
  const body: Record<string, unknown> = { [name]: page };
  if (skip + size < items.length) body.nextLink = pageLink(ctx, path, { skip: skip + size, maxPageSize: size });
  return body;
}

/** The Phone Numbers API as `@azure/communication-phone-numbers` 1.5 calls it (docs/wire-reference.md §4, docs/wire-reference.md §C5). */
export function phoneNumbersRoutes(service: PhoneNumberService): RouteSpec[] {
  const inventory = service.inventory;

  return [
    defineRoute({
      operation: "phoneNumbers.listCountries",
      method: "GET",
      url: "/availablePhoneNumbers/countries",
      auth: "management",
      handle: (ctx) => ({ status: 200, body: staticPage(ctx, inventory.countries(), "/availablePhoneNumbers/countries", "countries") }),
    }),
    defineRoute({
      operation: "phoneNumbers.listLocalities",
      method: "GET",
      url: "/availablePhoneNumbers/countries/:countryCode/localities",
      auth: "management",
      handle(ctx) {
        const cc = service.requireCountry(ctx.params.countryCode!);
        const blocks = inventory.blocksMatching({
          countryCode: cc,
          phoneNumberType: firstQuery(ctx.query, "phoneNumberType"),
          administrativeDivision: firstQuery(ctx.query, "administrativeDivision"),
        });
        const localities = firstOfEach(
          blocks.filter((b) => b.locality !== undefined),
          (b) => `${b.locality}|${b.administrativeDivision?.abbreviatedName ?? ""}`,
        ).map((b) => ({ localizedName: b.locality, ...(b.administrativeDivision ? { administrativeDivision: { ...b.administrativeDivision } } : {}) }));
        return { status: 200, body: staticPage(ctx, localities, `/availablePhoneNumbers/countries/${cc}/localities`, "phoneNumberLocalities") };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.listAreaCodes",
      method: "GET",
      url: "/availablePhoneNumbers/countries/:countryCode/areaCodes",
      auth: "management",
      handle(ctx) {
        const cc = service.requireCountry(ctx.params.countryCode!);
        const type = firstQuery(ctx.query, "phoneNumberType");
        if (type === undefined) throw new AcsError("InvalidRequestBody", "The phoneNumberType query parameter is required.");
        const blocks = inventory.blocksMatching({
          countryCode: cc,
          phoneNumberType: type,
          assignmentType: firstQuery(ctx.query, "assignmentType"),
          locality: firstQuery(ctx.query, "locality"),
          administrativeDivision: firstQuery(ctx.query, "administrativeDivision"),
        });
        const codes = [...new Set(blocks.map((b) => b.areaCode))].sort().map((areaCode) => ({ areaCode }));
        return { status: 200, body: staticPage(ctx, codes, `/availablePhoneNumbers/countries/${cc}/areaCodes`, "areaCodes") };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.listOfferings",
      method: "GET",
      url: "/availablePhoneNumbers/countries/:countryCode/offerings",
      auth: "management",
      handle(ctx) {
        const cc = service.requireCountry(ctx.params.countryCode!);
        const blocks = inventory.blocksMatching({
          countryCode: cc,
          phoneNumberType: firstQuery(ctx.query, "phoneNumberType"),
          assignmentType: firstQuery(ctx.query, "assignmentType"),
        });
        const offerings = firstOfEach(
          blocks,
          (b) => `${b.phoneNumberType}|${b.assignmentType}|${b.capabilities.calling}|${b.capabilities.sms}|${b.cost.amount}|${b.cost.currencyCode}`,
        ).map((b) => ({
          phoneNumberType: b.phoneNumberType,
          assignmentType: b.assignmentType,
          availableCapabilities: { ...b.capabilities },
          cost: { amount: b.cost.amount, currencyCode: b.cost.currencyCode, billingFrequency: "monthly" },
        }));
        return { status: 200, body: staticPage(ctx, offerings, `/availablePhoneNumbers/countries/${cc}/offerings`, "phoneNumberOfferings") };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.search",
      method: "POST",
      url: "/availablePhoneNumbers/countries/:countryCode/::search",
      auth: "management",
      body: searchBody,
      async handle(ctx) {
        const { searchId, operationId } = await service.search(ctx.resource, {
          countryCode: ctx.params.countryCode!,
          phoneNumberType: ctx.body.phoneNumberType,
          assignmentType: ctx.body.assignmentType,
          capabilities: ctx.body.capabilities as Capabilities,
          areaCode: ctx.body.areaCode,
          quantity: ctx.body.quantity ?? 1,
        });
        ctx.annotate({ searchId, operationId });
        const search = await service.getSearch(ctx.resource, searchId);
        return {
          status: 202,
          body: searchView(search),
          headers: { ...operationHeaders(ctx, operationId), location: url(ctx, `/availablePhoneNumbers/searchResults/${searchId}`), "search-id": searchId },
        };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.getSearchResult",
      method: "GET",
      url: "/availablePhoneNumbers/searchResults/:searchId",
      auth: "management",
      async handle(ctx) {
        ctx.annotate({ searchId: ctx.params.searchId! });
        return { status: 200, body: searchView(await service.getSearch(ctx.resource, ctx.params.searchId!)) };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.purchase",
      method: "POST",
      url: "/availablePhoneNumbers/::purchase",
      auth: "management",
      body: purchaseBody,
      async handle(ctx) {
        const { operationId, numbers } = await service.purchaseSearch(ctx.resource, ctx.body.searchId);
        ctx.setSubject(numbers);
        ctx.annotate({ searchId: ctx.body.searchId, operationId });
        return { status: 202, headers: { ...operationHeaders(ctx, operationId), "purchase-id": operationId.slice("purchase_".length) } };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.getOperation",
      method: "GET",
      url: "/phoneNumbers/operations/:operationId",
      auth: "management",
      async handle(ctx) {
        const op = await service.getOperation(ctx.resource, ctx.params.operationId!);
        ctx.annotate({ operationId: op.id });
        const view = operationView(op);
        const headers: Record<string, string> = {};
        if (op.resource_location !== null) {
          const location = url(ctx, op.resource_location);
          view.resourceLocation = location;
          headers.location = location;
        }
        if (op.status !== "succeeded" && op.status !== "failed") headers["retry-after"] = RETRY_AFTER;
        return { status: 200, body: view, headers };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.cancelOperation",
      method: "DELETE",
      url: "/phoneNumbers/operations/:operationId",
      auth: "management",
      async handle(ctx) {
        ctx.annotate({ operationId: ctx.params.operationId! });
        await service.cancelOperation(ctx.resource, ctx.params.operationId!);
        return { status: 204 };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.list",
      method: "GET",
      url: "/phoneNumbers",
      auth: "management",
      async handle(ctx) {
        const { skip, size } = pageParams(ctx.query, "top", 100);
        const { rows, more } = await service.listNumbers(ctx.resource, skip, size);
        const body: Record<string, unknown> = { phoneNumbers: rows.map(purchasedView) };
        if (more) body.nextLink = pageLink(ctx, "/phoneNumbers", { skip: skip + size, top: size });
        return { status: 200, body };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.get",
      method: "GET",
      url: "/phoneNumbers/:phoneNumber",
      auth: "management",
      async handle(ctx) {
        const row = await service.getNumber(ctx.resource, ctx.params.phoneNumber!);
        ctx.setSubject(row.phone_number);
        return { status: 200, body: purchasedView(row) };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.updateCapabilities",
      method: "PATCH",
      url: "/phoneNumbers/:phoneNumber/capabilities",
      auth: "management",
      body: capabilitiesBody,
      async handle(ctx) {
        const { operationId, number } = await service.updateCapabilities(ctx.resource, ctx.params.phoneNumber!, ctx.body as Partial<Capabilities>);
        ctx.setSubject(number.phone_number);
        ctx.annotate({ operationId });
        return {
          status: 202,
          body: purchasedView(number),
          headers: {
            ...operationHeaders(ctx, operationId),
            location: url(ctx, `/phoneNumbers/${encodeURIComponent(number.phone_number)}`),
            "capabilities-id": operationId.slice("capabilities_".length),
          },
        };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.release",
      method: "DELETE",
      url: "/phoneNumbers/:phoneNumber",
      auth: "management",
      async handle(ctx) {
        const phoneNumber = normalizePhoneNumber(ctx.params.phoneNumber!);
        ctx.setSubject(phoneNumber);
        const { operationId } = await service.release(ctx.resource, phoneNumber);
        ctx.annotate({ operationId });
        return { status: 202, headers: { ...operationHeaders(ctx, operationId), "release-id": operationId.slice("release_".length) } };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.browse",
      method: "POST",
      url: "/availablePhoneNumbers/countries/:countryCode/::browse",
      auth: "management",
      body: browseBody,
      async handle(ctx) {
        const cc = service.requireCountry(ctx.params.countryCode!);
        const found = await service.browse({
          countryCode: cc,
          phoneNumberType: ctx.body.phoneNumberType,
          assignmentType: ctx.body.assignmentType,
          capabilities: ctx.body.capabilities as Partial<Capabilities> | undefined,
          prefixes: ctx.body.phoneNumberPrefixes,
        });
        return { status: 200, body: { phoneNumbers: found.map((n) => availableView(n.phoneNumber, n.block, "available")) } };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.searchOperatorInformation",
      method: "POST",
      url: "/operatorInformation/::search",
      auth: "management",
      body: operatorBody,
      handle(ctx) {
        const details = ctx.body.options?.includeAdditionalOperatorDetails === true;
        const values = ctx.body.phoneNumbers.map((raw) => {
          const phoneNumber = normalizePhoneNumber(raw);
          const found = inventory.find(phoneNumber);
          return {
            phoneNumber,
            internationalFormat: phoneNumber,
            nationalFormat: found !== undefined && phoneNumber.startsWith("+1") ? `(${phoneNumber.slice(2, 5)}) ${phoneNumber.slice(5, 8)}-${phoneNumber.slice(8)}` : phoneNumber,
            ...(found !== undefined ? { isoCountryCode: found.block.countryCode } : {}),
            numberType: found === undefined ? "unknown" : found.block.phoneNumberType === "geographic" ? "geographic" : found.block.phoneNumberType === "mobile" ? "mobile" : "other",
            ...(details ? { operatorDetails: { name: "Switchboard", mobileNetworkCode: "00", mobileCountryCode: "001" } } : {}),
          };
        });
        return { status: 200, body: { values } };
      },
    }),
  ];
}
