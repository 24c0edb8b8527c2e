import { FEED_RESET, type ChangeFeed } from "../store/change-feed.js";
import { IDENTITY_CHANGED, type IdentityRepository } from "./identity-repository.js";

export interface IdentityState {
  resourceId: string;
  generation: number;
  deleted: boolean;
}

export const DEFAULT_IDENTITY_STATE_CACHE_SIZE = 50_000;

/**
 * Revocation state of identities, read on every user-token check. Entries are dropped by identity changes from
 * this process (at once) and from others (through the change feed), so a revocation bites on the next request.
 */
export class IdentityStateCache {
  private readonly entries = new Map<string, IdentityState | null>();
  /** Bumped by every invalidation: a read that raced with one is not cached. */
  private epoch = 0;
  private readonly resourceIds = new Map<string, string>();

  constructor(
    private readonly repository: IdentityRepository,
    /** At most this many entries (`tokens.identityStateCacheSize`); the oldest go first. 0: nothing is kept. */
    private readonly maxEntries = DEFAULT_IDENTITY_STATE_CACHE_SIZE,
  ) {}

  watch(feed: ChangeFeed): void {
    feed.subscribe((changes) => {
      for (const c of changes) {
        if (c.topic === FEED_RESET) this.clear();
        if (c.topic !== IDENTITY_CHANGED) continue;
        this.epoch++;
        if (c.subject == null) this.entries.clear();
        else this.entries.delete(c.subject);
      }
    });
  }

  /** Drops everything (the change feed lost track, e.g. after a database outage). */
  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  /** One string per resource id for all entries (each row read would otherwise bring its own copy). */
  private intern(resourceId: string): string {
    const known = this.resourceIds.get(resourceId);
    if (known !== undefined) return known;
    if (this.resourceIds.size >= 10_000) this.resourceIds.clear();
    this.resourceIds.set(resourceId, resourceId);
    return resourceId;
  }

  async get(id: string): Promise<IdentityState | null> {
    const cached = this.entries.get(id);
    if (cached !== undefined) return cached;
    const epoch = this.epoch;
    const record = await this.repository.find(id);
    const state: IdentityState | null =
      record === undefined
        ? null
        : { resourceId: this.intern(record.resourceId), generation: record.tokenGeneration, deleted: record.deletedAt !== null };
    if (epoch === this.epoch && this.maxEntries > 0) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(id, state);
    }
    return state;
  }
}
