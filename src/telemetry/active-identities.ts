/**
 * A 52-bit hash of an identity id (two 32-bit FNV-1a style lanes). Kept instead of the id itself: at the default
 * bound of 200,000 identities the ids cost ~36 MB of heap, their hashes ~10 MB (bench/RESULTS.md, issue 15). Two ids
 * share a hash with a probability of about n²/2⁵³: 4·10⁻⁶ at 200,000, so the gauge is exact in practice.
 */
export function identityHash(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x5bd1e995;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);
}

/** The table is at most this full, so a probe rarely walks far. */
const MAX_LOAD = 0.7;
/** When the table is full, the oldest seconds go until at most this share of `limit` remains. */
const AFTER_EVICTION = 0.95;

/**
 * Distinct identities seen (acting or acted on) within a sliding window, for the active-identities gauge: the hash of
 * each identity id and the second it was last seen (since construction), in an open-addressing table of two typed
 * arrays (linear probing; 12 bytes a slot, ~17 bytes an identity, allocated once). A Map of the same (52-bit keys in
 * last-seen order) took ~100 bytes an identity and grew the heap by 20–37 MB at the default bound of 200,000, which
 * createUserAndToken reaches in 20 s on the benchmark machine (bench/RESULTS.md, "Issue 15: fourth pass"). Memory is
 * bounded by `limit`: when the table is full, the identities of the oldest seconds it holds go first, until at most
 * 95 % of `limit` remain.
 */
export class ActiveIdentities {
  private readonly keys: Float64Array; // 0: an empty slot
  private readonly seconds: Uint32Array;
  private size = 0;
  /** No identity held was last seen before this second (a lower bound: expiry looks only when it is behind). */
  private oldest = 0;
  private readonly origin: number;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly limit = 200_000,
  ) {
    this.origin = now();
    const capacity = Math.ceil(limit / MAX_LOAD) + 1;
    this.keys = new Float64Array(capacity);
    this.seconds = new Uint32Array(capacity);
  }

  private second(): number {
    return Math.max(0, Math.floor((this.now() - this.origin) / 1000));
  }

  touch(identity: string): void {
    const key = identityHash(identity) || 1;
    const second = this.second();
    const { keys } = this;
    let i = key % keys.length;
    for (; keys[i] !== 0; i = i + 1 === keys.length ? 0 : i + 1) {
      if (keys[i] === key) {
        this.seconds[i] = second;
        return;
      }
    }
    if (this.size >= this.limit) {
      this.evictOldest();
      this.touch(identity); // the table has changed: find its slot again
      return;
    }
    keys[i] = key;
    this.seconds[i] = second;
    this.size++;
  }

  /** Number of identities seen within the window (drops the expired ones). */
  count(): number {
    // An identity counts while its last second overlaps the window (the stamp is the second's start).
    const cutoff = Math.floor((this.now() - this.origin - this.windowMs) / 1000);
    if (this.oldest < cutoff) this.removeOlderThan(cutoff);
    return this.size;
  }

  private evictOldest(): void {
    while (this.size > this.limit * AFTER_EVICTION) this.removeOlderThan(this.minSecond() + 1);
  }

  private minSecond(): number {
    let min = Infinity;
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== 0 && this.seconds[i]! < min) min = this.seconds[i]!;
    return min;
  }

  /**
   * Removes every identity last seen before `second`, in one pass. A removal moves the entries of its probe run that
   * would no longer be found back into the hole (Knuth's algorithm R), so the table needs no tombstones; a moved entry
   * lands at or after the position the pass is at, which is looked at again.
   */
  private removeOlderThan(second: number): void {
    const { keys, seconds } = this;
    const n = keys.length;
    let oldest = Infinity;
    for (let p = 0; p < n; ) {
      if (keys[p] === 0 || seconds[p]! >= second) {
        if (keys[p] !== 0 && seconds[p]! < oldest) oldest = seconds[p]!;
        p++;
        continue;
      }
      this.size--;
      let hole = p;
      for (let j = hole + 1 === n ? 0 : hole + 1; keys[j] !== 0; j = j + 1 === n ? 0 : j + 1) {
        const home = keys[j]! % n;
        // j's entry may fill the hole if its home is not cyclically within (hole, j].
        const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
        if (stays) continue;
        keys[hole] = keys[j]!;
        seconds[hole] = seconds[j]!;
        hole = j;
      }
      keys[hole] = 0;
    }
    this.oldest = oldest === Infinity ? this.second() : oldest;
  }
}
