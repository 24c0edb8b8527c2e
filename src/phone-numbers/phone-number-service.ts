import type { Kysely, Transaction } from "kysely";
import { AcsError } from "../errors/acs-errors.js";
import type { Resource } from "../resources/resource.js";
import type { Database } from "../store/schema.js";
import type { Store, WriteContext } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { newId } from "../util/crypto.js";
import { checkE164 } from "../util/phone-number.js";
import { numberNotFound } from "./number-not-found.js";
import { capabilityWithin, type Capabilities, type Inventory, type InventoryNumber } from "./inventory.js";
import { PhoneNumberRepository } from "./phone-number-repository.js";
import type { PhoneNumberOperationsTable, PhoneNumbersTable, PhoneNumberSearchesTable } from "./phone-numbers-tables.js";

export const PHONE_NUMBER_CHANGED = "phone-number";

export type OperationType = "search" | "purchase" | "releasePhoneNumber" | "updatePhoneNumberCapabilities" | "reservationPurchase";

export interface SearchRequest {
  countryCode: string;
  phoneNumberType: string;
  assignmentType: string;
  capabilities: Capabilities;
  areaCode?: string | undefined;
  quantity: number;
}

export interface PhoneNumberServiceOptions {
  searchHoldMs: number;
}

export function normalizePhoneNumber(raw: string): string {
  const value = raw.trim();
  const withPlus = value.startsWith("+") ? value : `+${value}`;
  const check = checkE164(withPlus);
  // ACS's recorded message is "Invalid telephone number '<value>'"; the reason is added after it.
  if (!check.ok) throw new AcsError("InvalidPhoneNumber", `Invalid telephone number '${value.slice(0, 40)}': ${check.detail}.`);
  return withPlus;
}

/**
 * Phone numbers of a resource: searches hold numbers of the shared inventory, purchases move them to one resource,
 * releases return them. Every change that takes a number runs in one transaction keyed on the number itself
 * (primary keys of phone_numbers and phone_number_holds), so two resources can never end up with the same number.
 * Long-running operations complete inside the request that starts them; the poll reports the terminal state.
 */
export class PhoneNumberService {
  constructor(
    private readonly store: Store,
    readonly inventory: Inventory,
    private readonly clock: Clock,
    private readonly options: PhoneNumberServiceOptions,
  ) {
    this.repository = new PhoneNumberRepository(store);
  }

  /** The storage; ReservationService shares it. */
  readonly repository: PhoneNumberRepository;

  now(): number {
    return this.clock.now();
  }

  requireCountry(countryCode: string): string {
    const cc = countryCode.toUpperCase();
    if (!this.inventory.hasCountry(cc)) throw new AcsError("CountryNotSupported", `No phone numbers are offered in '${countryCode.slice(0, 10)}'.`);
    return cc;
  }

  /** Numbers nobody owns or holds (holds of `holderId` excepted), among `candidates`. */
  private async freeNumbers(db: Kysely<Database>, candidates: InventoryNumber[], now: number, holderId?: string): Promise<InventoryNumber[]> {
    if (candidates.length === 0) return [];
    const taken = await this.repository.takenNumbers(
      db,
      candidates.map((c) => c.phoneNumber),
      now,
      holderId,
    );
    return candidates.filter((c) => !taken.has(c.phoneNumber));
  }

  /** Takes holds on up to `quantity` free numbers; a hold that loses a race to another transaction is skipped. */
  async takeHolds(
    trx: Transaction<Database>,
    resourceId: string,
    holder: { kind: "search" | "reservation"; id: string },
    candidates: InventoryNumber[],
    quantity: number,
    now: number,
    expiresAt: number,
  ): Promise<InventoryNumber[]> {
    await this.repository.deleteExpiredHolds(trx, now);
    const free = await this.freeNumbers(trx, candidates, now, holder.id);
    const taken: InventoryNumber[] = [];
    let cursor = 0;
    while (cursor < free.length && taken.length < quantity) {
      const batch = free.slice(cursor, cursor + (quantity - taken.length));
      cursor += batch.length;
      const got = await this.repository.insertHolds(
        trx,
        batch.map((n) => ({ phone_number: n.phoneNumber, resource_id: resourceId, holder_kind: holder.kind, holder_id: holder.id, expires_at: expiresAt })),
      );
      taken.push(...batch.filter((n) => got.has(n.phoneNumber)));
    }
    return taken;
  }

  /** Records a (terminal) long-running operation. */
  async insertOperation(
    trx: Transaction<Database>,
    resourceId: string,
    id: string,
    type: OperationType,
    now: number,
    outcome: { resourceLocation?: string; error?: { code: string; message: string } },
  ): Promise<void> {
    await this.repository.insertOperation(trx, {
        id,
        resource_id: resourceId,
        operation_type: type,
        status: outcome.error === undefined ? "succeeded" : "failed",
        resource_location: outcome.resourceLocation ?? null,
        error_code: outcome.error?.code ?? null,
        error_message: outcome.error?.message ?? null,
        created_at: now,
        last_action_at: now,
    });
  }

  /** Starts (and completes) a search: holds matching free numbers until searchExpiresBy. */
  async search(resource: Resource, request: SearchRequest): Promise<{ searchId: string; operationId: string }> {
    const cc = this.requireCountry(request.countryCode);
    const filter = { countryCode: cc, phoneNumberType: request.phoneNumberType, assignmentType: request.assignmentType, areaCode: request.areaCode };
    // ACS checks the offering (country, type, assignment) before it accepts the search: no offering is a 400 on the
    // request itself, not a 202 whose operation then fails (SDK live tests: US tollFree + person).
    if (this.inventory.blocksMatching({ ...filter, areaCode: undefined }).length === 0) {
      // ACS's recorded message (its code there is a misleading InternalError on a 400; see docs/fidelity.md).
      throw new AcsError("OfferingNotFound", "We are unable to find phone plans to match your requested capabilities.");
    }
    const offered = this.inventory.blocksMatching(filter);
    if (offered.length > 0 && this.inventory.blocksMatching({ ...filter, capabilities: request.capabilities }).length === 0) {
      throw new AcsError("CapabilitiesNotSupported");
    }
    const searchId = newId();
    const operationId = `search_${searchId}`;
    const now = this.clock.now();
    const expiresAt = now + this.options.searchHoldMs;
    await this.store.write(async (trx) => {
      const candidates = this.inventory.numbersMatching({ ...filter, capabilities: request.capabilities });
      const held = await this.takeHolds(trx, resource.id, { kind: "search", id: searchId }, candidates, request.quantity, now, expiresAt);
      const block = held[0]?.block ?? offered[0];
      await this.repository.insertSearch(trx, {
          id: searchId,
          resource_id: resource.id,
          country_code: cc,
          phone_number_type: request.phoneNumberType,
          assignment_type: request.assignmentType,
          calling: request.capabilities.calling,
          sms: request.capabilities.sms,
          phone_numbers: JSON.stringify(held.map((n) => n.phoneNumber)),
          cost_amount: block?.cost.amount ?? 0,
          cost_currency: block?.cost.currencyCode ?? "USD",
          created_at: now,
          expires_at: expiresAt,
          purchased_at: null,
      });
      const error =
        held.length === 0
          ? { code: "OutOfStock", message: `No ${request.phoneNumberType} numbers with these capabilities are available in ${cc}${request.areaCode !== undefined ? ` area code ${request.areaCode}` : ""}.` }
          : undefined;
      await this.insertOperation(trx, resource.id, operationId, "search", now, {
        resourceLocation: `/availablePhoneNumbers/searchResults/${searchId}`,
        ...(error !== undefined ? { error } : {}),
      });
    });
    return { searchId, operationId };
  }

  async getSearch(resource: Resource, searchId: string): Promise<PhoneNumberSearchesTable> {
    const row = await this.repository.findSearch(resource.id, searchId);
    if (row === undefined) throw new AcsError("SearchNotFound");
    return row;
  }

  /** Deletes a holder's unexpired holds; returns how many there were. */
  async releaseHolds(trx: Transaction<Database>, holderId: string, now: number): Promise<number> {
    return this.repository.releaseHolds(trx, holderId, now);
  }

  /** Moves numbers to the resource (their holds must have been taken out by the caller). */
  async buy(
    trx: Transaction<Database>,
    ctx: WriteContext,
    resource: Resource,
    numbers: string[],
    capabilities: (n: InventoryNumber) => Capabilities,
    now: number,
  ): Promise<void> {
    const rows: PhoneNumbersTable[] = numbers.map((phoneNumber) => {
      const n = this.inventory.find(phoneNumber);
      if (n === undefined) throw new Error(`number ${phoneNumber} is not in the inventory`);
      const caps = capabilities(n);
      return {
        phone_number: phoneNumber,
        resource_id: resource.id,
        country_code: n.block.countryCode,
        phone_number_type: n.block.phoneNumberType,
        assignment_type: n.block.assignmentType,
        calling: caps.calling,
        sms: caps.sms,
        cost_amount: n.block.cost.amount,
        cost_currency: n.block.cost.currencyCode,
        purchased_at: now,
      };
    });
    const inserted = await this.repository.insertNumbers(trx, rows);
    // Only possible when a hold expired under a concurrent purchase: refuse rather than hand a number out twice.
    if (inserted !== rows.length) throw new AcsError("SearchExpired", "Some of the numbers were taken after the hold expired; search again.");
    for (const n of numbers) ctx.emit({ topic: PHONE_NUMBER_CHANGED, resourceId: resource.id, subject: n });
  }

  /** Purchases the numbers of an unexpired search of this resource. */
  async purchaseSearch(resource: Resource, searchId: string): Promise<{ operationId: string; numbers: string[] }> {
    const operationId = `purchase_${newId()}`;
    const now = this.clock.now();
    return this.store.write(async (trx, ctx) => {
      const search = await this.repository.findSearch(resource.id, searchId, trx);
      if (search === undefined) throw new AcsError("SearchNotFound", "The search was not found on this resource.");
      if (search.purchased_at !== null) throw new AcsError("SearchAlreadyPurchased");
      if (Number(search.expires_at) <= now) throw new AcsError("SearchExpired");
      const numbers = JSON.parse(search.phone_numbers) as string[];
      if (numbers.length === 0) throw new AcsError("SearchNotFound", "The search found no numbers; there is nothing to purchase.");
      // Claim the search first: of two concurrent purchases, the second waits here and then finds it purchased.
      if (!(await this.repository.claimSearch(trx, searchId, now))) throw new AcsError("SearchAlreadyPurchased");
      // Taking the holds out (row locks on PostgreSQL) decides any race with a search that found them expired.
      if ((await this.releaseHolds(trx, searchId, now)) !== numbers.length) throw new AcsError("SearchExpired");
      await this.buy(trx, ctx, resource, numbers, () => ({ calling: search.calling as Capabilities["calling"], sms: search.sms as Capabilities["sms"] }), now);
      await this.insertOperation(trx, resource.id, operationId, "purchase", now, {});
      return { operationId, numbers };
    });
  }

  async getOperation(resource: Resource, operationId: string): Promise<PhoneNumberOperationsTable> {
    const row = await this.repository.findOperation(resource.id, operationId);
    if (row === undefined) throw new AcsError("PhoneNumberOperationNotFound");
    return row;
  }

  async cancelOperation(resource: Resource, operationId: string): Promise<void> {
    if (!(await this.repository.deleteOperation(resource.id, operationId))) throw new AcsError("PhoneNumberOperationNotFound");
  }

  async getNumber(resource: Resource, phoneNumber: string): Promise<PhoneNumbersTable> {
    const row = await this.repository.findNumber(resource.id, normalizePhoneNumber(phoneNumber));
    if (row === undefined) throw numberNotFound(normalizePhoneNumber(phoneNumber));
    return row;
  }

  /** The resource's number if it owns it, else undefined (SMS sender check). */
  async findOwned(resourceId: string, phoneNumber: string): Promise<PhoneNumbersTable | undefined> {
    return this.repository.findNumber(resourceId, phoneNumber);
  }

  async listNumbers(resource: Resource, skip: number, top: number): Promise<{ rows: PhoneNumbersTable[]; more: boolean }> {
    return this.repository.listNumbers(resource.id, skip, top);
  }

  async updateCapabilities(resource: Resource, phoneNumber: string, change: Partial<Capabilities>): Promise<{ operationId: string; number: PhoneNumbersTable }> {
    const normalized = normalizePhoneNumber(phoneNumber);
    const operationId = `capabilities_${newId()}`;
    const now = this.clock.now();
    return this.store.write(async (trx, ctx) => {
      const row = await this.repository.findNumber(resource.id, normalized, trx);
      // ACS's recorded answer for a capabilities update of a number of another resource (api-version 2022-12-01).
      if (row === undefined) throw new AcsError("InsufficientPermissions", "Phone number not owned by this resource.", { target: "phonenumber" });
      const offered = this.inventory.find(normalized)?.block.capabilities ?? { calling: row.calling, sms: row.sms };
      const next = { calling: change.calling ?? row.calling, sms: change.sms ?? row.sms } as Capabilities;
      if (!capabilityWithin(next.calling, offered.calling as Capabilities["calling"]) || !capabilityWithin(next.sms, offered.sms as Capabilities["sms"])) {
        throw new AcsError("CapabilitiesNotSupported", `This number offers calling '${offered.calling}' and sms '${offered.sms}'.`);
      }
      await this.repository.setCapabilities(trx, normalized, next);
      ctx.emit({ topic: PHONE_NUMBER_CHANGED, resourceId: resource.id, subject: normalized });
      await this.insertOperation(trx, resource.id, operationId, "updatePhoneNumberCapabilities", now, {
        resourceLocation: `/phoneNumbers/${encodeURIComponent(normalized)}`,
      });
      return { operationId, number: { ...row, calling: next.calling, sms: next.sms } };
    });
  }

  /** Releases a number: it leaves the resource and returns to the inventory. */
  async release(resource: Resource, phoneNumber: string): Promise<{ operationId: string }> {
    const normalized = normalizePhoneNumber(phoneNumber);
    const operationId = `release_${newId()}`;
    const now = this.clock.now();
    await this.store.write(async (trx, ctx) => {
      if (!(await this.repository.deleteNumber(trx, resource.id, normalized))) throw numberNotFound(normalized);
      ctx.emit({ topic: PHONE_NUMBER_CHANGED, resourceId: resource.id, subject: normalized });
      await this.insertOperation(trx, resource.id, operationId, "releasePhoneNumber", now, {});
    });
    return { operationId };
  }

  /** Free numbers matching a browse request (not held; at most 20, like ACS). */
  async browse(filter: Parameters<Inventory["numbersMatching"]>[0]): Promise<InventoryNumber[]> {
    const now = this.clock.now();
    const candidates = this.inventory.numbersMatching(filter);
    return (await this.freeNumbers(this.store.db, candidates, now)).slice(0, 20);
  }
}
