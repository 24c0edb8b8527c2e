/**
 * Distinct identities seen (acting or acted on) within a sliding window, for the active-identities gauge.
 * A Map in last-seen order: touching moves an identity to the end, so expiry only ever looks at the front.
 * Memory is bounded by `limit` (the least recently seen go first).
 */
export class ActiveIdentities {
  private readonly lastSeen = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly limit = 200_000,
  ) {}

  touch(identity: string): void {
    this.lastSeen.delete(identity);
    this.lastSeen.set(identity, this.now());
    if (this.lastSeen.size > this.limit) this.lastSeen.delete(this.lastSeen.keys().next().value as string);
  }

  /** Number of identities seen within the window (drops the expired ones). */
  count(): number {
    const cutoff = this.now() - this.windowMs;
    for (const [identity, seen] of this.lastSeen) {
      if (seen >= cutoff) break;
      this.lastSeen.delete(identity);
    }
    return this.lastSeen.size;
  }
}
