import { FEED_RESET, type ChangeFeed } from "../store/change-feed.js";
import { AcsError } from "../errors/acs-errors.js";
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
  /** Local ports of the resources' own listeners (resource-listeners.ts): the port a request came in on decides. */
  private readonly byPort = new Map<number, string>();
  private readonly loadListeners: Array<(resources: Resource[]) => void> = [];
  private readonly reloader = new Reloader(() => this.load(), RELOAD_RETRY_MS);

  /** `domain`: resources also answer to Host `<name>.<domain>` (docs/management.md). */
  constructor(
    private readonly repository: ResourceRepository,
    private readonly domain?: string,
  ) {}

  async load(): Promise<void> {
    const resources = await this.repository.list();
    const byId = new Map<string, Resource>();
    const byHost = new Map<string, Resource>();
    let fallback: Resource | undefined;
    for (const r of resources) {
      byId.set(r.id, r);
      for (const h of r.hostnames) byHost.set(h, r);
      if (this.domain !== undefined) byHost.set(`${r.name}.${this.domain}`.toLowerCase(), r);
      if (r.isDefault && fallback === undefined) fallback = r;
    }
    this.byId = byId;
    this.byHost = byHost;
    this.defaultResource = fallback ?? resources[0];
    for (const listener of this.loadListeners) listener(resources);
  }

  /** Called after every (re)load with every resource: the per-resource listeners follow creations and deletions. */
  onLoad(listener: (resources: Resource[]) => void): void {
    this.loadListeners.push(listener);
  }

  bindPort(port: number, resourceId: string): void {
    this.byPort.set(port, resourceId);
  }

  unbindPort(port: number): void {
    this.byPort.delete(port);
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

  /**
   * Reloads now, in line with change-feed reloads (never two loads at once, so a slower, older read cannot overwrite a
   * newer one), and resolves once the registry reflects the store as of this call.
   */
  async reload(): Promise<void> {
    this.requestReload();
    await this.settled();
  }

  /** Waits for a reload in flight (tests and the CLI use it to observe a change). */
  async settled(): Promise<void> {
    await this.reloader.settled();
  }

  /**
   * The resource a request belongs to: by the local port it arrived on (a resource's own listener), else by its Host
   * header (with or without the port), else the default resource. A port whose resource is gone answers nothing.
   */
  resolve(host: string | undefined, localPort?: number): Resource {
    if (localPort !== undefined) {
      const id = this.byPort.get(localPort);
      if (id !== undefined) {
        const own = this.byId.get(id);
        if (own === undefined) throw new AcsError("ResourceNotFound", "The resource of this endpoint has been deleted.");
        return own;
      }
    }
    const lower = host?.toLowerCase();
    const found = lower === undefined ? undefined : (this.byHost.get(lower) ?? this.byHost.get(lower.replace(/:\d+$/, "")));
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
