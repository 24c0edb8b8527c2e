import { armError } from "../errors/arm-errors.js";
import type { Resource } from "../resources/resource.js";
import type { ManagementRepository } from "./management-repository.js";
import type { Clock } from "../util/clock.js";
import type { EmailServiceDomain, EmailServices } from "./email-services.js";

const DOMAIN_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Communication\/emailServices\/([^/]+)\/domains\/([^/]+)$/i;

/**
 * `linkedDomains` of a communication service: ARM ids of verified e-mail domains. Linking makes the domain's sender
 * user names usable by that resource's EmailClient: the domain is written into the resource's e-mail domains (the
 * table behind `switchboard email domains`), and kept in step when sender user names change or the domain goes.
 */
export class LinkedDomains {
  constructor(
    private readonly repository: ManagementRepository,
    private readonly clock: Clock,
    private readonly email: EmailServices,
    private readonly subscriptionId: string,
  ) {}

  domainArmId(rg: string, service: string, domain: string): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Communication/emailServices/${service}/domains/${domain}`;
  }

  async resolve(armId: string): Promise<EmailServiceDomain | undefined> {
    const m = DOMAIN_ID.exec(armId);
    if (m === null || m[1]!.toLowerCase() !== this.subscriptionId.toLowerCase()) return undefined;
    const service = await this.email.find(m[2]!, m[3]!);
    return service === undefined ? undefined : this.email.findDomain(service, m[4]!);
  }

  /** Every id names an existing, verified domain (400 InvalidRequestContent otherwise). */
  async validate(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const domain = await this.resolve(id);
      if (domain === undefined) throw armError("linkedDomainNotFound", { id });
      if (!domain.verified) throw armError("linkedDomainNotVerified", { id });
    }
  }

  /** Brings the resource's sendable domains in line with a change of its links from `before` to `after`. */
  async apply(resource: Resource, before: readonly string[], after: readonly string[]): Promise<void> {
    const lower = new Set(after.map((a) => a.toLowerCase()));
    for (const id of before) {
      if (lower.has(id.toLowerCase())) continue;
      const domain = await this.resolve(id);
      if (domain !== undefined) await this.unlinkRow(resource.id, domain);
    }
    for (const id of after) {
      const domain = await this.resolve(id);
      if (domain !== undefined) await this.writeRow(resource.id, domain);
    }
  }

  /** After a domain's sender user names changed (or it was deleted: `gone`), every resource linking it follows. */
  async domainChanged(resources: Resource[], armId: string, domain: EmailServiceDomain, gone: boolean): Promise<Resource[]> {
    const linking = resources.filter((r) => r.linkedDomains.some((l) => l.toLowerCase() === armId.toLowerCase()));
    for (const r of linking) {
      if (gone) await this.unlinkRow(r.id, domain);
      else await this.writeRow(r.id, domain);
    }
    return linking;
  }

  private async writeRow(resourceId: string, domain: EmailServiceDomain): Promise<void> {
    const usernames = JSON.stringify(domain.senderUsernames.map((u) => u.username));
    await this.repository.writeLinkedDomain(resourceId, domain.fromSenderDomain, usernames, this.clock.now());
  }

  private async unlinkRow(resourceId: string, domain: EmailServiceDomain): Promise<void> {
    await this.repository.deleteLinkedDomain(resourceId, domain.fromSenderDomain);
  }
}
