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

/**
 * Distinct identities seen (acting or acted on) within a sliding window, for the active-identities gauge.
 * A Map in last-seen order: touching moves an identity to the end, so expiry only ever looks at the front.
 * Keys are hashes of the ids and stamps are whole seconds since construction (small integers V8 stores inline),
 * so an entry costs ~50 bytes. Memory is bounded by `limit` (the least recently seen go first).
 */
export class ActiveIdentities {
  private readonly lastSeen = new Map<number, number>();
  private readonly origin: number;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly limit = 200_000,
  ) {
    this.origin = now();
  }

  private second(): number {
    return Math.floor((this.now() - this.origin) / 1000);
  }

  touch(identity: string): void {
    const key = identityHash(identity);
    const second = this.second();
    // Seen this second already: its place in the order is right to the second, and a hot identity (every request of
    // one user) then costs no Map churn.
    if (this.lastSeen.get(key) === second) return;
    this.lastSeen.delete(key);
    this.lastSeen.set(key, second);
    if (this.lastSeen.size > this.limit) this.lastSeen.delete(this.lastSeen.keys().next().value as number);
  }

  /** Number of identities seen within the window (drops the expired ones). */
  count(): number {
    // An identity counts while its last second overlaps the window (the stamp is the second's start).
    const cutoff = Math.floor((this.now() - this.origin - this.windowMs) / 1000);
    for (const [key, seen] of this.lastSeen) {
      if (seen >= cutoff) break;
      this.lastSeen.delete(key);
    }
    return this.lastSeen.size;
  }
}
