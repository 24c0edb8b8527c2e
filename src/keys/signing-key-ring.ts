import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { KeyRing } from "./key-ring.js";

/**
 * ES256: the fastest asymmetric signature here (39k signs/s against RS256's 3.5k, docs/wire-reference.md §P), with small tokens.
 * Its slower verification (12.7k/s) is paid once per token thanks to the verified-token cache.
 */
export const USER_TOKEN_ALG = "ES256";
/** The longest user token lifetime: a retired key stays published at least this long. */
export const MAX_USER_TOKEN_LIFETIME_MS = 24 * 60 * 60_000;
export const SIGNING_KEY_CHANGED = "signing-key";

/**
 * The user access token signing keys (`signing_keys`; a unique index allows one active key, migration 0007).
 * Distinct from the built-in authority's keys (AuthorityKeys), which sign Entra tokens.
 */
export class SigningKeyRing extends KeyRing {
  constructor(store: Store, clock: Clock) {
    super(store, clock, {
      table: "signing_keys",
      alg: USER_TOKEN_ALG,
      changeTopic: SIGNING_KEY_CHANGED,
      publishedAfterRetirementMs: MAX_USER_TOKEN_LIFETIME_MS,
    });
  }
}
