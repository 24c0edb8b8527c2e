import { AcsError } from "../errors/acs-errors.js";

/**
 * ACS's 404 for a number the resource does not own, as its recorded sessions show it for every api-version from
 * 2021-03-07 to 2023-05-01-preview and as the SDK's live tests assert it today:
 * `{"error":{"code":"NotFound","message":"Input phoneNumber +14155550100 cannot be found.","target":"phonenumber"}}`.
 * (`PhoneNumberNotFound` / "The specified phone number … cannot be found." appears only in a pre-GA test.)
 */
export function numberNotFound(phoneNumber: string): AcsError {
  return new AcsError("NotFound", `Input phoneNumber ${phoneNumber} cannot be found.`, { target: "phonenumber" });
}
