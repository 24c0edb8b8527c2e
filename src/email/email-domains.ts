import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { EmailRepository } from "./email-repository.js";

/** The sender user name every domain starts with (ACS: DoNotReply). */
export const DEFAULT_SENDER_USERNAME = "DoNotReply";
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const USERNAME = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/;

export interface EmailDomain {
  domain: string;
  /** Managed (`<resource id>.azurecomm.net`, always present) or added by the operator. */
  managed: boolean;
  senderUsernames: string[];
}

/** Each resource's managed domain, modelled on ACS's Azure-managed domains. */
export function managedDomainOf(resourceId: string): string {
  return `${resourceId.toLowerCase()}.azurecomm.net`;
}

export function checkDomainName(domain: string): string {
  const d = domain.trim().toLowerCase();
  if (!DOMAIN.test(d)) throw new Error(`'${domain}' is not a valid domain name`);
  return d;
}

export function checkUsername(name: string): string {
  if (!USERNAME.test(name)) throw new Error(`'${name}' is not a valid sender user name`);
  return name;
}

/** The domains (and sender user names) a resource may send e-mail from. */
export class EmailDomains {
  private readonly repository: EmailRepository;

  constructor(
    store: Store,
    private readonly clock: Clock,
  ) {
    this.repository = new EmailRepository(store);
  }

  async list(resourceId: string): Promise<EmailDomain[]> {
    const rows = await this.repository.listDomains(resourceId);
    const managed = managedDomainOf(resourceId);
    return [
      { domain: managed, managed: true, senderUsernames: [DEFAULT_SENDER_USERNAME] },
      ...rows.filter((r) => r.domain !== managed).map((r) => ({ domain: r.domain, managed: false, senderUsernames: r.senderUsernames })),
    ];
  }

  async find(resourceId: string, domain: string): Promise<EmailDomain | undefined> {
    return (await this.list(resourceId)).find((d) => d.domain === domain.toLowerCase());
  }

  /** Every allowed sender address of the resource. */
  async senders(resourceId: string): Promise<string[]> {
    return (await this.list(resourceId)).flatMap((d) => d.senderUsernames.map((u) => `${u}@${d.domain}`));
  }

  /** Adds a domain (or adds sender user names to one). */
  async add(resourceId: string, domain: string, usernames: string[] = [DEFAULT_SENDER_USERNAME]): Promise<EmailDomain> {
    const name = checkDomainName(domain);
    const wanted = usernames.map(checkUsername);
    await this.repository.addDomain(resourceId, name, wanted, this.clock.now());
    return (await this.find(resourceId, name))!;
  }

  async remove(resourceId: string, domain: string): Promise<boolean> {
    return this.repository.removeDomain(resourceId, domain);
  }
}
