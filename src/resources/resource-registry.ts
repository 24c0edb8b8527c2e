import { FEED_RESET, type ChangeFeed } from "../store/change-feed.js";
import { Reloader } from "../util/reloader.js";
import type { Resource } from "./resource.js";
import { RESOURCE_CHANGED, type ResourceRepository } from "./resource-repository.js";

const RELOAD_RETRY_MS = 1_000;

/**
 * The in-memory view of all resources, consulted on every request to pick the resource from the Host header.
 * Reloaded whenever a resource changes (here, in the CLI, or on another replica).
 */
export class ResourceRegistry {
  private byId = new Map<string, Resource>();
  private byHost = new Map<string, Resource>();
  private defaultResource: Resource | undefined;
  private readonly reloader = new Reloader(() => this.load(), RELOAD_RETRY_MS);

  constructor(private readonly repository: ResourceRepository) {}

  async load(): Promise<void> {
    const resources = await this.repository.list();
    const byId = new Map<string, Resource>();
    const byHost = new Map<string, Resource>();
    let fallback: Resource | undefined;
    for (const r of resources) {
      byId.set(r.id, r);
      for (const h of r.hostnames) byHost.set(h, r);
      if (r.isDefault && fallback === undefined) fallback = r;
    }
    this.byId = byId;
    this.byHost = byHost;
    this.defaultResource = fallback ?? resources[0];
  }

  watch(feed: ChangeFeed): void {
    feed.subscribe((changes) => {
      if (changes.some((c) => c.topic === RESOURCE_CHANGED || c.topic === FEED_RESET)) this.requestReload();
    });
  }

  /**
   * Reloads; a change that arrives during a reload triggers one more, so the last change always wins. A reload that
   * fails (database briefly away) is retried every second: a regenerated key must not stay valid on this replica.
   */
  private requestReload(): void {
    this.reloader.request();
  }

  /** Waits for a reload in flight (tests and the CLI use it to observe a change). */
  async settled(): Promise<void> {
    await this.reloader.settled();
  }

  /** The resource a request belongs to: by its Host header, else the default resource. */
  resolve(host: string | undefined): Resource {
    const found = host === undefined ? undefined : this.byHost.get(host.toLowerCase());
    const resource = found ?? this.defaultResource;
    if (resource === undefined) throw new Error("no resource loaded");
    return resource;
  }

  get(id: string): Resource | undefined {
    return this.byId.get(id);
  }

  all(): Resource[] {
    return [...this.byId.values()];
  }
}
