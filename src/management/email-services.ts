import { randomUUID } from "node:crypto";
import type { Selectable } from "kysely";
import { armError } from "../errors/arm-errors.js";
import type { Clock } from "../util/clock.js";
import type { ManagementRepository } from "./management-repository.js";
import type { ArmEmailDomainsTable, ArmEmailServicesTable } from "./management-tables.js";

export const AZURE_MANAGED_DOMAIN = "AzureManagedDomain";
const NAME = /^[-\w]{1,63}$/;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const USERNAME = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/;

export interface EmailService {
  id: string;
  name: string;
  resourceGroup: string;
  dataLocation: string;
  tags: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

export interface SenderUsername {
  username: string;
  displayName: string;
}

export interface EmailServiceDomain {
  id: string;
  serviceId: string;
  name: string;
  management: "AzureManaged" | "CustomerManaged";
  fromSenderDomain: string;
  verificationCode: string;
  verified: boolean;
  tags: Record<string, string>;
  senderUsernames: SenderUsername[];
  createdAt: number;
  updatedAt: number;
}

const toService = (r: Selectable<ArmEmailServicesTable>): EmailService => ({
  id: r.id,
  name: r.name,
  resourceGroup: r.resource_group,
  dataLocation: r.data_location,
  tags: JSON.parse(r.tags) as Record<string, string>,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

const toDomain = (r: Selectable<ArmEmailDomainsTable>): EmailServiceDomain => ({
  id: r.id,
  serviceId: r.service_id,
  name: r.name,
  management: r.management as EmailServiceDomain["management"],
  fromSenderDomain: r.from_sender_domain,
  verificationCode: r.verification_code,
  verified: Number(r.verified) === 1,
  tags: JSON.parse(r.tags) as Record<string, string>,
  senderUsernames: JSON.parse(r.sender_usernames) as SenderUsername[],
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/**
 * E-mail services and their domains (ARM emailServices, domains, senderUsernames). An AzureManaged domain gets
 * `<guid>.azurecomm.net` and is verified at once, with the sender DoNotReply; a CustomerManaged domain is verified by
 * `verify` (initiateVerification, or the operator). What a communication service may send from is synchronized into its
 * e-mail domains when domains are linked (src/management/linked-domains.ts).
 */
export class EmailServices {
  constructor(
    private readonly repository: ManagementRepository,
    private readonly clock: Clock,
  ) {}

  async list(resourceGroup?: string): Promise<EmailService[]> {
    return (await this.repository.listEmailServices(resourceGroup)).map(toService);
  }

  async find(resourceGroup: string, name: string): Promise<EmailService | undefined> {
    return (await this.list(resourceGroup)).find((s) => s.name.toLowerCase() === name.toLowerCase());
  }

  async get(resourceGroup: string, name: string): Promise<EmailService> {
    const found = await this.find(resourceGroup, name);
    if (found !== undefined) return found;
    throw armError("resourceNotFound", { type: "EmailServices", name, resourceGroup });
  }

  async upsert(resourceGroup: string, name: string, spec: { dataLocation?: string | undefined; tags?: Record<string, string> | undefined }, defaultLocation: string): Promise<{ service: EmailService; created: boolean }> {
    if (!NAME.test(name)) throw armError("invalidResourceName", { name });
    const existing = await this.find(resourceGroup, name);
    const now = this.clock.now();
    if (existing !== undefined) {
      if (spec.dataLocation !== undefined && spec.dataLocation !== existing.dataLocation) {
        throw armError("dataLocationImmutable");
      }
      await this.repository.setEmailServiceTags(existing.id, JSON.stringify(spec.tags ?? existing.tags), now);
      return { service: await this.get(resourceGroup, name), created: false };
    }
    const id = randomUUID();
    await this.repository
      .insertEmailService({ id, name, resource_group: resourceGroup, data_location: spec.dataLocation ?? defaultLocation, tags: JSON.stringify(spec.tags ?? {}), created_at: now, updated_at: now })
      .catch((err: unknown) => {
        if (/unique/i.test((err as Error).message)) throw armError("emailServiceExists", { name });
        throw err;
      });
    return { service: await this.get(resourceGroup, name), created: true };
  }

  async updateTags(service: EmailService, tags: Record<string, string>): Promise<EmailService> {
    await this.repository.setEmailServiceTags(service.id, JSON.stringify(tags), this.clock.now());
    return this.get(service.resourceGroup, service.name);
  }

  /** Deletes the service and its domains; the domain ids removed (their links are dropped by the caller). */
  async delete(service: EmailService): Promise<string[]> {
    return this.repository.deleteEmailService(service.id);
  }

  async domains(service: EmailService): Promise<EmailServiceDomain[]> {
    const rows = await this.repository.listDomains(service.id);
    return rows.map(toDomain);
  }

  async findDomain(service: EmailService, name: string): Promise<EmailServiceDomain | undefined> {
    return (await this.domains(service)).find((d) => d.name.toLowerCase() === name.toLowerCase());
  }

  async getDomain(service: EmailService, name: string): Promise<EmailServiceDomain> {
    const found = await this.findDomain(service, name);
    if (found !== undefined) return found;
    throw armError("domainNotFound", { service: service.name, name });
  }

  async upsertDomain(service: EmailService, name: string, spec: { management: string; tags?: Record<string, string> | undefined }): Promise<{ domain: EmailServiceDomain; created: boolean }> {
    const existing = await this.findDomain(service, name);
    const now = this.clock.now();
    if (existing !== undefined) {
      if (spec.management.toLowerCase() !== existing.management.toLowerCase()) {
        throw armError("domainManagementImmutable");
      }
      if (spec.tags !== undefined) {
        await this.repository.updateDomain(existing.id, { tags: JSON.stringify(spec.tags), updated_at: now });
      }
      return { domain: await this.getDomain(service, name), created: false };
    }
    const management = spec.management.toLowerCase() === "azuremanaged" ? "AzureManaged" : spec.management.toLowerCase() === "customermanaged" ? "CustomerManaged" : undefined;
    if (management === undefined) {
      throw armError("unsupportedDomainManagement");
    }
    if (management === "AzureManaged" && name !== AZURE_MANAGED_DOMAIN) {
      throw armError("azureManagedDomainName", { name: AZURE_MANAGED_DOMAIN });
    }
    if (management === "CustomerManaged" && !DOMAIN.test(name)) throw armError("invalidDomainName", { name });
    const id = randomUUID();
    const azure = management === "AzureManaged";
    await this.repository.insertDomain({
      id,
      service_id: service.id,
      name,
      management,
      from_sender_domain: azure ? `${randomUUID()}.azurecomm.net` : name.toLowerCase(),
      verification_code: `ms-domain-verification=${randomUUID()}`,
      verified: azure ? 1 : 0,
      tags: JSON.stringify(spec.tags ?? {}),
      sender_usernames: JSON.stringify(azure ? [{ username: "DoNotReply", displayName: "DoNotReply" }] : []),
      created_at: now,
      updated_at: now,
    });
    return { domain: await this.getDomain(service, name), created: true };
  }

  async deleteDomain(domain: EmailServiceDomain): Promise<void> {
    await this.repository.deleteDomain(domain.id);
  }

  /** Marks a customer-managed domain verified (initiateVerification, or the operator on a local machine). */
  async verify(domain: EmailServiceDomain): Promise<void> {
    await this.repository.updateDomain(domain.id, { verified: 1, updated_at: this.clock.now() });
  }

  async setSenderUsernames(domain: EmailServiceDomain, usernames: SenderUsername[]): Promise<void> {
    for (const u of usernames) {
      if (!USERNAME.test(u.username)) throw armError("invalidSenderUsername", { username: u.username });
    }
    await this.repository.updateDomain(domain.id, { sender_usernames: JSON.stringify(usernames), updated_at: this.clock.now() });
  }

  /** Every domain by id (for linking). */
  async domainById(id: string): Promise<EmailServiceDomain | undefined> {
    const row = await this.repository.findDomain(id);
    return row === undefined ? undefined : toDomain(row);
  }

  async serviceById(id: string): Promise<EmailService | undefined> {
    const row = await this.repository.findEmailService(id);
    return row === undefined ? undefined : toService(row);
  }
}
