import type { Core } from "../core.js";
import { armIdOf, connectionString, type Resource } from "../resources/resource.js";
import { endpointHost } from "./banner.js";

/** What `resource list|show|create --json` prints for one resource. */
export interface ResourceView {
  name: string;
  resourceGroup: string;
  armId: string;
  immutableResourceId: string;
  endpoint: string;
  hostName: string;
  dataLocation: string;
  tags: Record<string, string>;
  primaryConnectionString: string;
  secondaryConnectionString: string;
}

/** A resource as an operator sees it; `host` is the host name clients use (default: the configured one). */
export function resourceView(core: Core, r: Resource, host = endpointHost(core.config.host)): ResourceView {
  const endpoints = core.management.endpoints;
  const endpoint = endpoints.endpointOf(r, host);
  return {
    name: r.name,
    resourceGroup: r.resourceGroup,
    armId: armIdOf(core.management.subscriptionId, r),
    immutableResourceId: r.id,
    endpoint,
    hostName: endpoints.hostNameOf(r, host),
    dataLocation: r.dataLocation,
    tags: r.tags,
    primaryConnectionString: connectionString(endpoint, r.keys.primary.value),
    secondaryConnectionString: connectionString(endpoint, r.keys.secondary.value),
  };
}

/** The lines `switchboard start` adds after the default resource: every other resource and the management plane. */
export function renderResourcesBanner(core: Core, httpsPort: number): string {
  const host = endpointHost(core.config.host);
  const others = core.registry.all().filter((r) => !r.isDefault).sort((a, b) => a.createdAt - b.createdAt);
  const lines: string[] = [];
  for (const r of others) {
    const v = resourceView(core, r, host);
    lines.push(`Resource '${v.name}' (${v.immutableResourceId}) in resource group ${v.resourceGroup}`);
    lines.push(`  primary   (HTTPS): ${v.primaryConnectionString}`, `  secondary (HTTPS): ${v.secondaryConnectionString}`, "");
  }
  lines.push(
    "Management plane (@azure/arm-communication with endpoint and an Entra ID credential; docs/management.md):",
    `  endpoint https://${host}:${httpsPort}  subscription ${core.management.subscriptionId}`,
    "",
  );
  return lines.join("\n");
}
