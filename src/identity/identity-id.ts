import { randomUUID } from "node:crypto";

const ACS_ID_PATTERN = /^8:acs:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([0-9A-Za-z-]{1,64})$/;

/**
 * A new communication identity of a resource: `8:acs:<resourceId>_<uuid>`, the uuid time-ordered (the UUIDv7 layout,
 * RFC 9562: 48 bits of milliseconds, then 74 random bits), so ids sort in creation order like ACS's own. New rows then
 * land at the end of the identities' indexes instead of on a random page of each: a store of a million identities
 * inserts as fast as an empty one (bench/scale.mjs). 74 random bits keep ids unguessable.
 */
export function newIdentityId(resourceId: string, now: number = Date.now()): string {
  return `8:acs:${resourceId}_${timeOrderedUuid(now)}`;
}

/** A random UUID with its first 48 bits replaced by `now` (ms) and its version nibble set to 7. */
export function timeOrderedUuid(now: number): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx
  const ms = Math.max(0, Math.floor(now)).toString(16).padStart(12, "0").slice(-12);
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${random.slice(15)}`;
}

/** The resource an identity id belongs to, or undefined if the id is malformed. */
export function parseIdentityId(id: string): { resourceId: string } | undefined {
  const match = ACS_ID_PATTERN.exec(id);
  return match === null ? undefined : { resourceId: match[1]! };
}

/** ACS's `skypeid` claim form of an identity: the id without the `8:` prefix. */
export function skypeId(identityId: string): string {
  return identityId.slice(2);
}

/** Communication identity ids (`8:acs:…`, and other `8:` kinds such as Teams users): the activity record's keys. */
export function isIdentityId(value: string): boolean {
  return value.startsWith("8:") && value.length <= 512;
}

/** An `8:acs:` identity of exactly this resource (what a caller may name as "sent on behalf of"). */
export function isAcsIdentityOf(value: string, resourceId: string): boolean {
  return parseIdentityId(value)?.resourceId === resourceId;
}
