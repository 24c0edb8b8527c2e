import { connectionString, type KeyName, type Resource } from "../resources/resource.js";

/** ACS resources are global; their data lives in `dataLocation`. */
export const ARM_LOCATION = "global";
/** The `properties.version` ACS reports. */
const RESOURCE_VERSION = "0.2.0";

export interface ResourceViewContext {
  armId: string;
  hostName: string;
}

/** A CommunicationServiceResource as the REST spec shapes it. */
export function communicationServiceView(r: Resource, ctx: ResourceViewContext) {
  return {
    id: ctx.armId,
    name: r.name,
    type: "Microsoft.Communication/CommunicationServices",
    location: ARM_LOCATION,
    tags: r.tags,
    systemData: {
      createdAt: new Date(r.createdAt).toISOString(),
      lastModifiedAt: new Date(r.updatedAt).toISOString(),
    },
    properties: {
      provisioningState: "Succeeded",
      hostName: ctx.hostName,
      dataLocation: r.dataLocation,
      ...(r.notificationHub !== null ? { notificationHubId: r.notificationHub.resourceId } : {}),
      version: RESOURCE_VERSION,
      immutableResourceId: r.id,
      linkedDomains: r.linkedDomains,
      publicNetworkAccess: "Enabled",
      disableLocalAuth: false,
    },
  };
}

/** CommunicationServiceKeys: both pairs (listKeys) or the rotated pair only (regenerateKey). */
export function keysView(r: Resource, endpoint: string, only?: KeyName) {
  const pair = (k: KeyName) => ({
    [`${k}Key`]: r.keys[k].value,
    [`${k}ConnectionString`]: connectionString(endpoint, r.keys[k].value),
  });
  return only === undefined ? { ...pair("primary"), ...pair("secondary") } : pair(only);
}
