import { armError } from "../errors/arm-errors.js";
import { firstQuery } from "../http/query.js";

/** The Microsoft.Communication api-versions this server speaks (the 4.2 SDK sends 2025-09-01). */
export const OLDEST_ARM_API_VERSION = "2023-04-01";
export const NEWEST_ARM_API_VERSION = "2026-03-18";

/** The request's api-version, or 400 MissingApiVersionParameter / InvalidApiVersionParameter as ARM answers. */
export function requireArmApiVersion(query: Record<string, string | string[] | undefined>): string {
  const v = firstQuery(query, "api-version");
  if (v === undefined) throw armError("missingApiVersion");
  const m = /^(\d{4}-\d{2}-\d{2})(-preview)?$/.exec(v);
  if (m === null || m[1]! < OLDEST_ARM_API_VERSION || m[1]! > NEWEST_ARM_API_VERSION) {
    throw armError("invalidApiVersion", { apiVersion: v.slice(0, 40), oldest: OLDEST_ARM_API_VERSION, newest: NEWEST_ARM_API_VERSION });
  }
  return v;
}
