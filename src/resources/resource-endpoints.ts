import type { Resource } from "./resource.js";

export interface EndpointSettings {
  /** Resources answer to `<name>.<domain>` behind a reverse proxy (config management.domain). */
  domain?: string | undefined;
  /** The main HTTPS port (the default resource's endpoint). */
  mainPort: number;
}

/**
 * Where each resource is reached (docs/management.md): `https://<name>.<domain>/` when a domain is configured; else
 * the default resource on the main HTTPS port and every other resource on its own HTTPS port of this machine.
 */
export class ResourceEndpoints {
  constructor(
    private readonly settings: EndpointSettings,
    /** The port a resource's listener is bound to in this process, if it has one. */
    private readonly runtimePort: (resourceId: string) => number | undefined = () => undefined,
  ) {}

  /** `host`: the host name clients use for this machine (from the request's Host header, or the configured host). */
  hostNameOf(resource: Resource, host: string): string {
    if (this.settings.domain !== undefined) return `${resource.name}.${this.settings.domain}`;
    const port = resource.isDefault ? this.settings.mainPort : (this.runtimePort(resource.id) ?? resource.port);
    return port === null || port === undefined ? host : `${host}:${port}`;
  }

  endpointOf(resource: Resource, host: string): string {
    return `https://${this.hostNameOf(resource, host)}/`;
  }
}

/** The host part of a Host header (`127.0.0.1:8443` → `127.0.0.1`, `[::1]:8443` → `[::1]`). */
export function hostWithoutPort(hostHeader: string): string {
  return hostHeader.replace(/:\d+$/, "");
}
