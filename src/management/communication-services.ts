import { RESOURCE_NAME } from "../config/management-config.js";
import { armError } from "../errors/arm-errors.js";
import type { ResourceRegistry } from "../resources/resource-registry.js";
import type { ResourceRepository, ResourceUpdate } from "../resources/resource-repository.js";
import { armIdOf, type KeyName, type Resource } from "../resources/resource.js";

export const RESOURCE_GROUP_NAME = /^[-\w._()]{1,90}$/;

export interface CreateSpec {
  dataLocation: string;
  tags?: Record<string, string> | undefined;
  linkedDomains?: string[] | undefined;
}

/** Where a new resource listens: a fixed port kept in the store, or null (an ephemeral port per process). */
export type PortAllocator = () => Promise<number | null>;

/**
 * The communicationServices resources of the server's one subscription: create, read, update, delete, keys. Resource
 * groups exist while a resource is in them (created implicitly by the first one, as `az` users expect). Every
 * change is in the store and announced on the change feed; this process's registry is reloaded before returning.
 */
export class CommunicationServices {
  constructor(
    private readonly repository: ResourceRepository,
    private readonly registry: ResourceRegistry,
    readonly subscriptionId: string,
    private readonly allocatePort: PortAllocator,
    /** Waits until the resources' listeners follow the registry (a new resource is reachable on return). */
    private readonly listenersSettled: () => Promise<void> = async () => {},
  ) {}

  armId(r: Resource): string {
    return armIdOf(this.subscriptionId, r);
  }

  checkSubscription(subscriptionId: string): void {
    if (subscriptionId.toLowerCase() !== this.subscriptionId.toLowerCase()) {
      throw armError("subscriptionNotFound", { subscriptionId });
    }
  }

  all(): Resource[] {
    return this.registry.all().sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
  }

  inGroup(resourceGroup: string): Resource[] {
    return this.all().filter((r) => r.resourceGroup.toLowerCase() === resourceGroup.toLowerCase());
  }

  find(resourceGroup: string, name: string): Resource | undefined {
    return this.inGroup(resourceGroup).find((r) => r.name.toLowerCase() === name.toLowerCase());
  }

  /** The resource, or 404 ResourceGroupNotFound / ResourceNotFound in ARM's words. */
  get(resourceGroup: string, name: string): Resource {
    const found = this.find(resourceGroup, name);
    if (found !== undefined) return found;
    if (this.inGroup(resourceGroup).length === 0) {
      throw armError("resourceGroupNotFound", { resourceGroup });
    }
    throw armError("resourceNotFound", { type: "CommunicationServices", name, resourceGroup });
  }

  byArmId(armId: string): Resource | undefined {
    const lower = armId.toLowerCase().replace(/\/+$/, "");
    return this.all().find((r) => this.armId(r).toLowerCase() === lower);
  }

  /** Why a name cannot be used, or undefined if it can (names are unique on the server, as hostnames are in Azure). */
  nameProblem(name: string): { reason: "Invalid" | "AlreadyExists"; message: string } | undefined {
    if (!RESOURCE_NAME.test(name)) {
      return { reason: "Invalid", message: "The name must be 1 to 63 characters: letters, digits, '-' and '_'." };
    }
    if (this.all().some((r) => r.name.toLowerCase() === name.toLowerCase())) {
      return { reason: "AlreadyExists", message: `The name '${name}' is already in use.` };
    }
    return undefined;
  }

  async create(resourceGroup: string, name: string, spec: CreateSpec): Promise<Resource> {
    if (!RESOURCE_GROUP_NAME.test(resourceGroup)) throw armError("invalidResourceGroupName", { resourceGroup });
    const problem = this.nameProblem(name);
    if (problem !== undefined) {
      throw problem.reason === "Invalid"
        ? armError("invalidResourceNameBecause", { name, reason: problem.message })
        : armError("nameTakenElsewhere", { name });
    }
    const created = await this.repository
      .create(name, [], {
        resourceGroup,
        dataLocation: spec.dataLocation,
        ...(spec.tags !== undefined ? { tags: spec.tags } : {}),
        port: await this.allocatePort(),
      })
      .catch((err: unknown) => {
        if (/unique|UNIQUE/.test((err as Error).message)) throw armError("communicationServiceExists", { name });
        throw err;
      });
    let result = created;
    if (spec.linkedDomains !== undefined && spec.linkedDomains.length > 0) {
      result = (await this.repository.update(created.id, { linkedDomains: spec.linkedDomains })) ?? created;
    }
    await this.refresh();
    return this.registry.get(result.id) ?? result;
  }

  async update(r: Resource, change: ResourceUpdate): Promise<Resource> {
    const updated = await this.repository.update(r.id, change);
    if (updated === undefined) throw armError("resourceGone");
    await this.refresh();
    return this.registry.get(updated.id) ?? updated;
  }

  async delete(r: Resource): Promise<void> {
    if (r.isDefault) throw armError("defaultResourceUndeletable");
    await this.repository.delete(r.id);
    await this.refresh();
  }

  async regenerateKey(r: Resource, key: KeyName): Promise<Resource> {
    const updated = await this.repository.regenerateKey(r.id, key);
    await this.refresh();
    return this.registry.get(updated.id) ?? updated;
  }

  /** This process sees its own change before it answers; other replicas follow through the change feed. */
  private async refresh(): Promise<void> {
    await this.registry.reload();
    await this.listenersSettled();
  }
}
