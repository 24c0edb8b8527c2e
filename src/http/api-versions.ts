import { AcsError } from "../errors/acs-errors.js";

/**
 * api-version checking, one table per API. A value that is not an Azure api-version at all (`latest`,
 * `2025-06-30x`, `2025-13-01`) is refused with the versions this server knows for that API; a well-formed date this
 * server does not know yet is accepted (a new SDK release keeps working) with a warning, unless the server runs with
 * strict api-versions (`--strict-api-versions`), where it is refused too.
 *
 * To support a new version, add it to its API's list; to validate a new API, add a row to `apiVersions` and a prefix
 * to `apiOfOperation` (the management plane, say: `management: [...]`).
 */
export const apiVersions = {
  /** @azure/communication-identity 1.0.0 → 2021-03-07, 1.2.0 → 2022-10-01, 1.3.x → 2023-10-01 (SDK-WIRE.md §8). */
  identity: [
    "2021-03-07",
    "2021-10-31-preview",
    "2022-06-01",
    "2022-10-01",
    "2023-10-01",
    "2025-03-02-preview",
    "2025-06-30",
    "2026-09-23",
  ],
  sms: ["2021-03-07", "2026-01-23"],
  email: ["2023-03-31", "2025-09-01"],
  phoneNumbers: ["2021-03-07", "2022-01-11-preview2", "2022-12-01", "2025-02-11", "2025-04-01", "2025-06-01"],
  chat: ["2021-03-07", "2021-04-05-preview6", "2021-09-07", "2023-11-07", "2024-03-07", "2025-03-15"],
} as const satisfies Record<string, readonly string[]>;

export type ApiName = keyof typeof apiVersions;

/**
 * The API an operation belongs to (by the prefix of its operation name), or undefined for Switchboard's own
 * endpoints (outbox, activity, token introspection, health, the authority), which take any api-version.
 */
export function apiOfOperation(operation: string): ApiName | undefined {
  if (operation === "identity.introspectToken") return undefined;
  const prefix = operation.slice(0, operation.indexOf("."));
  return Object.hasOwn(apiVersions, prefix) ? (prefix as ApiName) : undefined;
}

/** YYYY-MM-DD, optionally followed by an Azure pre-release label (`-preview`, `-preview2`, `-privatepreview`, `-beta`). */
const WELL_FORMED = /^(\d{4})-(\d{2})-(\d{2})(?:-(?:preview|privatepreview|alpha|beta)\d*)?$/;

export function isWellFormedApiVersion(value: string): boolean {
  const m = WELL_FORMED.exec(value);
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

export type ApiVersionVerdict = { kind: "known" } | { kind: "unknown"; warning: string };

/**
 * Checks one request's api-version values (a query may repeat it; every value must pass). Throws 400
 * UnsupportedApiVersion for a malformed value, and for an unknown one in strict mode.
 */
export function checkApiVersion(api: ApiName, values: readonly string[], strict: boolean): ApiVersionVerdict {
  const supported: readonly string[] = apiVersions[api];
  const listed = `Supported api-versions for the ${api} API: ${supported.join(", ")}.`;
  let unknown: string | undefined;
  for (const value of values) {
    if (supported.includes(value)) continue;
    if (!isWellFormedApiVersion(value)) {
      throw new AcsError("UnsupportedApiVersion", `The api-version '${value}' is not a valid api-version (YYYY-MM-DD[-preview]). ${listed}`);
    }
    if (strict) {
      throw new AcsError("UnsupportedApiVersion", `The api-version '${value}' is not supported by this server (strict api-versions). ${listed}`);
    }
    unknown = value;
  }
  if (unknown === undefined) return { kind: "known" };
  return { kind: "unknown", warning: `api-version '${unknown}' is not known to Switchboard; it is served with the newest behaviour. ${listed}` };
}
