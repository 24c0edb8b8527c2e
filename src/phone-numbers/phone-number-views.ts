import type { InventoryBlock } from "../config/messaging-config.js";
import type { PhoneNumberOperationsTable, PhoneNumberReservationsTable, PhoneNumberSearchesTable, PhoneNumbersTable } from "./phone-numbers-tables.js";

/** Wire shapes of the Phone Numbers API (docs/wire-reference.md §C5), built from stored rows. */

export const BILLING_FREQUENCY = "monthly";

export function numberId(phoneNumber: string): string {
  return phoneNumber.replace(/^\+/, "");
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function purchasedView(row: PhoneNumbersTable) {
  return {
    id: numberId(row.phone_number),
    phoneNumber: row.phone_number,
    countryCode: row.country_code,
    phoneNumberType: row.phone_number_type,
    capabilities: { calling: row.calling, sms: row.sms },
    assignmentType: row.assignment_type,
    purchaseDate: iso(Number(row.purchased_at)),
    cost: { amount: Number(row.cost_amount), currencyCode: row.cost_currency, billingFrequency: BILLING_FREQUENCY },
  };
}

export function searchView(row: PhoneNumberSearchesTable) {
  return {
    searchId: row.id,
    phoneNumbers: JSON.parse(row.phone_numbers) as string[],
    phoneNumberType: row.phone_number_type,
    assignmentType: row.assignment_type,
    capabilities: { calling: row.calling, sms: row.sms },
    cost: { amount: Number(row.cost_amount), currencyCode: row.cost_currency, billingFrequency: BILLING_FREQUENCY },
    searchExpiresBy: iso(Number(row.expires_at)),
    isAgreementToNotResellRequired: false,
  };
}

export function availableView(phoneNumber: string, block: InventoryBlock, status: string, error?: { code: string; message: string }) {
  return {
    id: numberId(phoneNumber),
    countryCode: block.countryCode,
    phoneNumber,
    capabilities: { ...block.capabilities },
    phoneNumberType: block.phoneNumberType,
    assignmentType: block.assignmentType,
    cost: { amount: block.cost.amount, currencyCode: block.cost.currencyCode, billingFrequency: BILLING_FREQUENCY },
    status,
    isAgreementToNotResellRequired: false,
    ...(error !== undefined ? { error } : {}),
  };
}

export function operationView(row: PhoneNumberOperationsTable) {
  return {
    id: row.id,
    operationType: row.operation_type,
    status: row.status,
    createdDateTime: iso(Number(row.created_at)),
    lastActionDateTime: iso(Number(row.last_action_at)),
    ...(row.resource_location !== null ? { resourceLocation: row.resource_location } : {}),
    ...(row.error_code !== null ? { error: { code: row.error_code, message: row.error_message ?? row.error_code } } : {}),
  };
}

/** The reservation's status as of `now`: an active reservation past its expiry is expired. */
export function reservationStatus(row: PhoneNumberReservationsTable, now: number): string {
  return row.status === "active" && Number(row.expires_at) <= now ? "expired" : row.status;
}
