import { z } from "zod";
import { isE164 } from "../util/phone-number.js";

/**
 * Configuration of the messaging services (phone numbers, SMS, e-mail). Kept beside config.ts so the main schema
 * gains three keys only.
 */
const capability = z.enum(["none", "inbound", "outbound", "inbound+outbound"]);

/** One block of the available-number inventory: `count` numbers starting at `first` (E.164). */
export const inventoryBlockSchema = z.object({
  countryCode: z.string().regex(/^[A-Z]{2}$/),
  phoneNumberType: z.enum(["geographic", "tollFree", "mobile"]),
  assignmentType: z.enum(["person", "application"]),
  areaCode: z.string().regex(/^\d{1,5}$/),
  locality: z.string().min(1).optional(),
  administrativeDivision: z.object({ localizedName: z.string().min(1), abbreviatedName: z.string().min(1) }).optional(),
  /** The first number of the block, E.164. */
  first: z.string().refine(isE164, "must be a valid E.164 number for its country calling code"),
  count: z.number().int().min(1).max(10_000),
  capabilities: z.object({ calling: capability, sms: capability }),
  cost: z.object({ amount: z.number().min(0), currencyCode: z.string().regex(/^[A-Z]{3}$/) }),
});

export type InventoryBlock = z.infer<typeof inventoryBlockSchema>;

export const phoneNumbersConfigSchema = z.object({
  /** How long a search result holds its numbers (ACS: under 15 minutes). */
  searchHoldMinutes: z.number().min(0.01).max(24 * 60).default(15),
  reservationHoldMinutes: z.number().min(0.01).max(24 * 60).default(15),
  /** Countries' display names; a country of the inventory without one shows its code. */
  countries: z.record(z.string().regex(/^[A-Z]{2}$/), z.string().min(1)).optional(),
  /** Replaces the built-in inventory (see phone-numbers/default-inventory.ts). */
  inventory: z.array(inventoryBlockSchema).min(1).optional(),
});

export const smsConfigSchema = z.object({
  /** Alphanumeric sender ids every resource may send from (e.g. "Contoso"). */
  alphanumericSenders: z.array(z.string().regex(/^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/, "1-11 letters, digits or spaces, at least one letter")).default([]),
  /** Delivery-report webhooks: every resource's reports (resource omitted) or one resource's (name or id). */
  deliveryReportWebhooks: z.array(z.object({ url: z.url({ protocol: /^https?$/ }), resource: z.string().min(1).optional() })).default([]),
  /** Attempts per delivery-report event (first try included). */
  webhookMaxAttempts: z.number().int().min(1).max(20).default(5),
  /** Backoff before the second attempt; doubles each time. */
  webhookBackoffMs: z.number().int().min(1).max(600_000).default(1000),
});

export const emailConfigSchema = z.object({
  /** Relay accepted e-mail to this SMTP server (smtp://user:pass@host:port or smtps://…); absent: outbox only. */
  smtpUrl: z.string().regex(/^smtps?:\/\//, "must start with smtp:// or smtps://").optional(),
  smtpTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** Largest message (content plus decoded attachments) in bytes; ACS allows 10 MB. */
  maxMessageBytes: z.number().int().min(1024).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
  /** Most recipients (to + cc + bcc) per message; ACS allows 50. */
  maxRecipients: z.number().int().min(1).max(1000).default(50),
});
