import { createRequire } from "node:module";

type LibPhoneNumber = typeof import("libphonenumber-js/min");
let lib: LibPhoneNumber | undefined;
/**
 * libphonenumber's metadata takes ~100 ms to load: loaded (synchronously, through its CommonJS build) on the first
 * check, so a CLI command or a server that never sees a phone number does not pay for it.
 */
function libphonenumber(): LibPhoneNumber {
  lib ??= createRequire(import.meta.url)("libphonenumber-js/min") as LibPhoneNumber;
  return lib;
}

/**
 * The one E.164 check of Switchboard (SMS senders and recipients, opt-outs, phone-number paths, the configured
 * inventory). A number is valid when it is written `+<digits>` and its digits fit its country calling code: length
 * and leading digits per country, from libphonenumber's metadata, not a length-only regex. `+1425555012345` (too
 * long for +1) and `+15551234567` (no NANP area code starts with 5-5-5) are refused.
 */
export type E164Check =
  | { ok: true; number: string; country: string | undefined }
  /** `format`: not `+` and 2–15 digits at all; `number`: E.164 in form, but no valid number of any country code. */
  | { ok: false; reason: "format" | "number"; detail: string };

const E164_SHAPE = /^\+[1-9]\d{1,14}$/;

export function checkE164(value: string): E164Check {
  if (!E164_SHAPE.test(value)) return { ok: false, reason: "format", detail: "not in E.164 format (+ and up to 15 digits)" };
  const { parsePhoneNumberFromString, validatePhoneNumberLength } = libphonenumber();
  const length = validatePhoneNumberLength(value);
  if (length !== undefined) return { ok: false, reason: "number", detail: lengthDetail[length] ?? "not a valid number" };
  const parsed = parsePhoneNumberFromString(value);
  if (parsed === undefined || !parsed.isValid()) {
    return { ok: false, reason: "number", detail: "not a valid number for its country calling code" };
  }
  return { ok: true, number: parsed.number, country: parsed.country };
}

/** True when `value` is a valid E.164 number (see checkE164). */
export function isE164(value: string): boolean {
  return checkE164(value).ok;
}

const lengthDetail: Record<string, string> = {
  INVALID_COUNTRY: "unknown country calling code",
  TOO_SHORT: "too short for its country calling code",
  TOO_LONG: "too long for its country calling code",
  INVALID_LENGTH: "of a length its country calling code does not use",
  NOT_A_NUMBER: "not a phone number",
};
