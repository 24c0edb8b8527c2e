import type { Generated } from "kysely";

/**
 * The activity record, append-only. One row per (event, identity the event concerns): an event that names two
 * identities (an actor and a subject) is stored twice with the same `event_id`, so that "everything this identity
 * did or had done to it" is one index scan and purging one identity removes exactly its rows.
 */
export interface ActivityEventsTable {
  id: Generated<number>;
  /** The identity this row is filed under (a communication identity id). */
  identity: string;
  /** bucketOf(identity): the leading key of the query index (activity-bucket.ts). */
  bucket: number;
  /** Shared by the rows of one event; for a request, its request id (x-ms-request-id). */
  event_id: string;
  /** Epoch milliseconds. */
  time: number;
  resource_id: string;
  operation: string;
  /** HTTP status; null for events that are not requests (e.g. call events). */
  status: number | null;
  error_code: string | null;
  /** describePrincipal() of the acting principal (for a refused token: the identity it was issued to). */
  principal: string | null;
  /** JSON array of the subject identities. */
  subjects: string;
  /** JSON object of operation-specific, non-secret fields, or null. */
  fields: string | null;
}

export interface ActivityTables {
  activity_events: ActivityEventsTable;
}
