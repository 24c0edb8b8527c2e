import type { Config } from "../config/config.js";
import type { RouteSpec } from "../http/route.js";
import type { RoleAssignmentCache } from "../rbac/entra-role-authorizer.js";
import type { ResourceListeners } from "../resources/resource-listeners.js";
import { ResourceEndpoints } from "../resources/resource-endpoints.js";
import type { ResourceRegistry } from "../resources/resource-registry.js";
import type { ResourceRepository } from "../resources/resource-repository.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { ArmAuthorizer } from "./arm-authorizer.js";
import { ArmOperations } from "./arm-operations.js";
import { armRoutes } from "./arm-routes.js";
import { CommunicationServices } from "./communication-services.js";
import { metadataRoutes } from "./metadata-routes.js";
import { emailRoutes } from "./email-routes.js";
import { EmailServices } from "./email-services.js";
import { LinkedDomains } from "./linked-domains.js";
import { ManagementRepository } from "./management-repository.js";

/** The management plane: resources of the server's subscription, their endpoints, ARM routes and RBAC. */
export interface ManagementModule {
  subscriptionId: string;
  services: CommunicationServices;
  operations: ArmOperations;
  endpoints: ResourceEndpoints;
  email: EmailServices;
  linked: LinkedDomains;
  /** The server's listeners: the main HTTPS port (known once bound) and the resources' own. */
  attachListeners(mainPort: number, listeners: ResourceListeners): void;
  routes(deps: { assignments: RoleAssignmentCache; tenantId: () => string; isBuiltInIssuer: (issuer: string) => boolean }): { routes: RouteSpec[]; authorizer: ArmAuthorizer };
}

export function openManagement(deps: {
  config: Config;
  store: Store;
  clock: Clock;
  repository: ResourceRepository;
  registry: ResourceRegistry;
  subscriptionId: string;
}): ManagementModule {
  const { config } = deps;
  let listeners: ResourceListeners | undefined;
  const settings = { domain: config.management.domain, mainPort: config.port };
  const endpoints = new ResourceEndpoints(settings, (id) => listeners?.portOf(id));
  const allocatePort = async (): Promise<number | null> => {
    const base = config.management.resourcePortBase ?? (config.port === 0 ? undefined : config.port + 1);
    if (base === undefined || config.management.domain !== undefined) return null;
    return deps.repository.nextFreePort(base, [config.port, ...(config.httpPort === null ? [] : [config.httpPort])]);
  };
  const services = new CommunicationServices(deps.repository, deps.registry, deps.subscriptionId, allocatePort, async () => {
    await listeners?.settled();
  });
  const managementRepository = new ManagementRepository(deps.store);
  const operations = new ArmOperations(managementRepository, deps.clock, config.management.operationDelayMs);
  const email = new EmailServices(managementRepository, deps.clock);
  const linked = new LinkedDomains(managementRepository, deps.clock, email, deps.subscriptionId);
  return {
    subscriptionId: deps.subscriptionId,
    services,
    operations,
    endpoints,
    email,
    linked,
    attachListeners(mainPort, attached) {
      settings.mainPort = mainPort;
      listeners = attached;
    },
    routes({ assignments, tenantId, isBuiltInIssuer }) {
      const authorizer = new ArmAuthorizer(assignments, (armId) => services.byArmId(armId)?.id, deps.subscriptionId, isBuiltInIssuer);
      const routes = [
        ...armRoutes({
          services,
          operations,
          authorizer,
          endpoints,
          defaultDataLocation: config.management.dataLocation,
          pageSize: config.management.pageSize,
          linked,
        }),
        ...emailRoutes({ email, services, operations, linked, defaultDataLocation: config.management.dataLocation }),
        ...metadataRoutes(tenantId),
      ];
      return { routes, authorizer };
    },
  };
}
