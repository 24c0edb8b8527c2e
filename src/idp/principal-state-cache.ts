import { FEED_RESET, type ChangeFeed } from "../store/change-feed.js";
import { ENTRA_PRINCIPAL_CHANGED, type EntraPrincipals } from "./entra-principals.js";

export type PrincipalState = "enabled" | "disabled" | "missing";

const MAX_ENTRIES = 10_000;

/**
 * Whether a built-in principal still exists and is enabled, read on every bearer request. Entries are dropped by
 * principal changes (this process at once, others through the change feed), so a deletion or a disable refuses the
 * principal's existing tokens on the next request.
 */
export class PrincipalStateCache {
  private readonly entries = new Map<string, PrincipalState>();
  private readonly byClientId = new Map<string, PrincipalState>();
  private epoch = 0;

  constructor(private readonly principals: EntraPrincipals) {}

  watch(feed: ChangeFeed): void {
    feed.subscribe((changes) => {
      for (const c of changes) {
        if (c.topic !== ENTRA_PRINCIPAL_CHANGED && c.topic !== FEED_RESET) continue;
        this.epoch++;
        this.byClientId.clear();
        if (c.subject == null) this.entries.clear();
        else this.entries.delete(c.subject);
      }
    });
  }

  async get(objectId: string): Promise<PrincipalState> {
    const cached = this.entries.get(objectId);
    if (cached !== undefined) return cached;
    const epoch = this.epoch;
    const record = await this.principals.find(objectId);
    const state: PrincipalState = record === undefined ? "missing" : record.enabled ? "enabled" : "disabled";
    if (epoch === this.epoch) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(objectId, state);
    }
    return state;
  }

  /** The same, for the application (client id) a delegated user token was obtained through. */
  async getByClientId(clientId: string): Promise<PrincipalState> {
    const cached = this.byClientId.get(clientId);
    if (cached !== undefined) return cached;
    const epoch = this.epoch;
    const record = await this.principals.findByClientId(clientId);
    const state: PrincipalState = record === undefined ? "missing" : record.enabled ? "enabled" : "disabled";
    if (epoch === this.epoch) {
      if (this.byClientId.size >= MAX_ENTRIES) this.byClientId.clear();
      this.byClientId.set(clientId, state);
    }
    return state;
  }
}
