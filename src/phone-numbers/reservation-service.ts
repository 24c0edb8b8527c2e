import { AcsError } from "../errors/acs-errors.js";
import type { Resource } from "../resources/resource.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { newId } from "../util/crypto.js";
import type { InventoryNumber } from "./inventory.js";
import type { PhoneNumberService } from "./phone-number-service.js";

/** ACS keeps a reservation at most two hours after creation, whatever its updates. */
const RESERVATION_MAX_MS = 2 * 60 * 60_000;

/**
 * Reservations (PhoneNumbersClient 1.5): numbers picked from a browse are held for a reservation until it expires
 * (15 minutes after its last change, at most 2 hours), then purchased together. Holds and purchases go through the
 * same primary keys as searches (PhoneNumberService), so a number is never reserved or bought twice.
 */
export class ReservationService {
  constructor(
    private readonly store: Store,
    private readonly numbers: PhoneNumberService,
    private readonly clock: Clock,
    private readonly holdMs: number,
  ) {}


  async getReservation(resource: Resource, id: string) {
    const row = await this.numbers.repository.findReservation(id, resource.id);
    if (row === undefined) throw new AcsError("ReservationNotFound");
    return row;
  }

  async listReservations(resource: Resource, skip: number, top: number) {
    return this.numbers.repository.listReservations(resource.id, skip, top);
  }

  /**
   * Creates or changes a reservation: `add` numbers are held for it (a number someone else owns or holds is reported
   * per number), `remove` numbers are let go. Returns the reservation, whether it was created, and per-number errors.
   */
  async upsertReservation(resource: Resource, id: string, add: string[], remove: string[]) {
    const now = this.clock.now();
    const repository = this.numbers.repository;
    return this.store.write(async (trx) => {
      const existing = await repository.findReservation(id, undefined, trx);
      if (existing !== undefined && existing.resource_id !== resource.id) throw new AcsError("ReservationNotFound");
      if (existing !== undefined && (existing.status !== "active" || Number(existing.expires_at) <= now)) throw new AcsError("ReservationNotActive");
      const createdAt = existing === undefined ? now : Number(existing.created_at);
      const expiresAt = Math.min(now + this.holdMs, createdAt + RESERVATION_MAX_MS);
      const current = new Set(existing === undefined ? [] : (JSON.parse(existing.phone_numbers) as string[]));
      const errors = new Map<string, { code: string; message: string }>();
      for (const n of remove) {
        current.delete(n);
        await repository.deleteHolds(trx, id, n);
      }
      const wanted: InventoryNumber[] = [];
      for (const n of add) {
        const found = this.numbers.inventory.find(n);
        if (found === undefined) errors.set(n, { code: "PhoneNumberNotFound", message: "The number is not in the inventory." });
        else wanted.push(found);
      }
      const held = await this.numbers.takeHolds(trx, resource.id, { kind: "reservation", id }, wanted, wanted.length, now, expiresAt);
      const heldSet = new Set(held.map((h) => h.phoneNumber));
      for (const w of wanted) {
        if (heldSet.has(w.phoneNumber)) current.add(w.phoneNumber);
        else errors.set(w.phoneNumber, { code: "PhoneNumberNotAvailable", message: "The number is purchased or held by someone else." });
      }
      // Every number of the reservation is held until the new expiry.
      await repository.extendHolds(trx, id, expiresAt);
      const numbers = JSON.stringify([...current].sort());
      if (existing === undefined) {
        const inserted = await repository.insertReservation(trx, { id, resource_id: resource.id, status: "active", phone_numbers: numbers, created_at: now, updated_at: now, expires_at: expiresAt });
        // Two first PATCHes of one id at once (PostgreSQL runs them side by side): the later one changes nothing.
        if (!inserted) throw new AcsError("Conflict", "A concurrent request created this reservation; send the change again.");
      } else {
        await repository.updateReservation(trx, id, { phone_numbers: numbers, updated_at: now, expires_at: expiresAt });
      }
      const row = (await repository.findReservation(id, undefined, trx))!;
      return { row, created: existing === undefined, errors };
    });
  }

  async deleteReservation(resource: Resource, id: string): Promise<void> {
    const now = this.clock.now();
    const repository = this.numbers.repository;
    await this.store.write(async (trx) => {
      const row = await repository.findReservation(id, resource.id, trx);
      if (row === undefined) throw new AcsError("ReservationNotFound");
      if (row.status !== "active" || Number(row.expires_at) <= now) throw new AcsError("ReservationNotActive");
      await repository.deleteHolds(trx, id);
      await repository.deleteReservation(trx, id);
    });
  }

  async purchaseReservation(resource: Resource, id: string): Promise<{ operationId: string; numbers: string[] }> {
    const operationId = `reservationPurchase_${newId()}`;
    const now = this.clock.now();
    const repository = this.numbers.repository;
    return this.store.write(async (trx, ctx) => {
      const row = await repository.findReservation(id, resource.id, trx);
      if (row === undefined) throw new AcsError("ReservationNotFound");
      if (row.status !== "active") throw new AcsError("ReservationNotActive");
      if (Number(row.expires_at) <= now) throw new AcsError("ReservationExpired");
      const numbers = JSON.parse(row.phone_numbers) as string[];
      if (numbers.length === 0) throw new AcsError("ReservationEmpty");
      if ((await this.numbers.releaseHolds(trx, id, now)) !== numbers.length) throw new AcsError("ReservationExpired");
      await this.numbers.buy(trx, ctx, resource, numbers, (n) => ({ ...n.block.capabilities }), now);
      await repository.updateReservation(trx, id, { status: "completed", updated_at: now });
      await this.numbers.insertOperation(trx, resource.id, operationId, "reservationPurchase", now, {});
      return { operationId, numbers };
    });
  }
}
