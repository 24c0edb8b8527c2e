import { z } from "zod";
import { AcsError } from "../errors/acs-errors.js";
import { defineRoute, type RouteSpec } from "../http/route.js";
import { pageLink, pageParams } from "../http/query.js";
import type { Clock } from "../util/clock.js";
import type { Inventory } from "./inventory.js";
import { availableView, iso, numberId, reservationStatus } from "./phone-number-views.js";
import type { PhoneNumberReservationsTable } from "./phone-numbers-tables.js";
import { operationHeaders } from "./phone-numbers-routes.js";
import type { ReservationService } from "./reservation-service.js";

const reservationBody = z.object({
  phoneNumbers: z.record(z.string().regex(/^\d{7,15}$/), z.object({}).passthrough().nullable()).optional(),
});
const reservationPurchaseBody = z.object({ agreeToNotResell: z.boolean().optional() }).optional();
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Phone-number reservations as `PhoneNumbersClient` 1.5 calls them (docs/wire-reference.md §C5). */
export function reservationRoutes(reservations: ReservationService, inventory: Inventory, clock: Clock): RouteSpec[] {
  const reservationView = (row: PhoneNumberReservationsTable, now: number, errors?: Map<string, { code: string; message: string }>) => {
    const phoneNumbers: Record<string, unknown> = {};
    const status = reservationStatus(row, now);
    for (const n of JSON.parse(row.phone_numbers) as string[]) {
      const found = inventory.find(n);
      if (found !== undefined) phoneNumbers[numberId(n)] = availableView(n, found.block, status === "completed" ? "purchased" : status === "expired" ? "expired" : "reserved");
    }
    for (const [n, error] of errors ?? []) {
      const found = inventory.find(n);
      phoneNumbers[numberId(n)] =
        found !== undefined ? availableView(n, found.block, "error", error) : { id: numberId(n), phoneNumber: n, status: "error", error };
    }
    return { id: row.id, expiresAt: iso(Number(row.expires_at)), phoneNumbers, status };
  };

  return [
    defineRoute({
      operation: "phoneNumbers.listReservations",
      method: "GET",
      url: "/availablePhoneNumbers/reservations",
      auth: "management",
      async handle(ctx) {
        const { skip, size } = pageParams(ctx.query, "maxPageSize", 100);
        const { rows, more } = await reservations.listReservations(ctx.resource, skip, size);
        const now = clock.now();
        const body: Record<string, unknown> = {
          reservations: rows.map((r) => {
            const { phoneNumbers: _omitted, ...rest } = reservationView(r, now);
            return rest;
          }),
        };
        if (more) body.nextLink = pageLink(ctx, "/availablePhoneNumbers/reservations", { skip: skip + size, maxPageSize: size });
        return { status: 200, body };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.upsertReservation",
      method: "PATCH",
      url: "/availablePhoneNumbers/reservations/:reservationId",
      auth: "management",
      body: reservationBody,
      async handle(ctx) {
        const id = ctx.params.reservationId!;
        if (!uuid.test(id)) throw new AcsError("InvalidRequestBody", "The reservation id must be a UUID.");
        const add: string[] = [];
        const remove: string[] = [];
        for (const [key, value] of Object.entries(ctx.body.phoneNumbers ?? {})) (value === null ? remove : add).push(`+${key}`);
        ctx.annotate({ reservationId: id });
        const { row, created, errors } = await reservations.upsertReservation(ctx.resource, id.toLowerCase(), add, remove);
        const status = errors.size > 0 ? 207 : created ? 201 : 200;
        return { status, body: reservationView(row, clock.now(), errors) };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.getReservation",
      method: "GET",
      url: "/availablePhoneNumbers/reservations/:reservationId",
      auth: "management",
      async handle(ctx) {
        ctx.annotate({ reservationId: ctx.params.reservationId! });
        const row = await reservations.getReservation(ctx.resource, ctx.params.reservationId!.toLowerCase());
        return { status: 200, body: reservationView(row, clock.now()) };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.deleteReservation",
      method: "DELETE",
      url: "/availablePhoneNumbers/reservations/:reservationId",
      auth: "management",
      async handle(ctx) {
        ctx.annotate({ reservationId: ctx.params.reservationId! });
        await reservations.deleteReservation(ctx.resource, ctx.params.reservationId!.toLowerCase());
        return { status: 204 };
      },
    }),
    defineRoute({
      operation: "phoneNumbers.purchaseReservation",
      method: "POST",
      url: "/availablePhoneNumbers/reservations/:reservationId/::purchase",
      auth: "management",
      body: reservationPurchaseBody,
      async handle(ctx) {
        const id = ctx.params.reservationId!.toLowerCase();
        const { operationId, numbers } = await reservations.purchaseReservation(ctx.resource, id);
        ctx.setSubject(numbers);
        ctx.annotate({ reservationId: id, operationId });
        return {
          status: 202,
          headers: { ...operationHeaders(ctx, operationId), "reservation-purchase-id": operationId.slice("reservationPurchase_".length) },
        };
      },
    }),
  ];
}
