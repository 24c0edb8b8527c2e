import { AcsError, isAcsError } from "../http/errors.js";

/** The api-version from which ACS answers an unknown number with `NotFound` instead of `PhoneNumberNotFound`. */
export const NOT_FOUND_RENAMED_IN = "2025-06-01";

/** ACS's 404 for a number the resource does not own, before 2025-06-01 (the SDK's recorded live tests). */
export function numberNotFound(phoneNumber: string): AcsError {
  return new AcsError("PhoneNumberNotFound", `The specified phone number ${phoneNumber} cannot be found.`, { target: phoneNumber });
}

/**
 * Runs a phone-number operation and, from api-version 2025-06-01 on, answers an unknown number as ACS then does:
 * 404 `NotFound`, `Input phoneNumber +14155550100 cannot be found.`. Older api-versions keep `PhoneNumberNotFound`.
 */
export async function withNumberErrorsOf<T>(apiVersion: unknown, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isAcsError(error) && error.code === "PhoneNumberNotFound" && error.target !== undefined && usesNotFound(apiVersion)) {
      throw new AcsError("NotFound", `Input phoneNumber ${error.target} cannot be found.`);
    }
    throw error;
  }
}

function usesNotFound(apiVersion: unknown): boolean {
  const version = Array.isArray(apiVersion) ? apiVersion[0] : apiVersion;
  return typeof version === "string" && version.slice(0, 10) >= NOT_FOUND_RENAMED_IN;
}
