/**
 * The activity index is keyed by (bucket, time) rather than by identity: rows are appended in time order, so each
 * batch only touches the last index page of each bucket instead of one random page per row (identity ids are random,
 * and every touched page is rewritten to the WAL on commit). A query reads its identity's bucket newest first and
 * filters by the identity, which the index carries, so it never reads the table for other identities' rows.
 *
 * Each commit of a batch rewrites the last index page of every bucket it touched, so fewer buckets make appends
 * cheaper and queries dearer (a query scans its bucket's index entries: 1/BUCKETS of the table). 32 keeps a page of
 * a 5-million-row table at a scan of about 150,000 index entries.
 *
 * The bucket of an identity is stored: this function and BUCKETS must never change.
 */
export const BUCKETS = 32;

/** FNV-1a (32-bit) of the identity, modulo BUCKETS. */
export function bucketOf(identity: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < identity.length; i++) {
    hash ^= identity.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % BUCKETS;
}
