import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";

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
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async list(resourceId: string): Promise<EmailDomain[]> {
    const rows = await this.store.db.selectFrom("email_domains").selectAll().where("resource_id", "=", resourceId).orderBy("domain").execute();
    const managed = managedDomainOf(resourceId);
    return [
      { domain: managed, managed: true, senderUsernames: [DEFAULT_SENDER_USERNAME] },
      ...rows.filter((r) => r.domain !== managed).map((r) => ({ domain: r.domain, managed: false, senderUsernames: JSON.parse(r.sender_usernames) as string[] })),
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
    await this.store.write(async (trx) => {
      const row = await trx.selectFrom("email_domains").selectAll().where("resource_id", "=", resourceId).where("domain", "=", name).executeTakeFirst();
      if (row === undefined) {
        await trx
          .insertInto("email_domains")
          .values({ resource_id: resourceId, domain: name, sender_usernames: JSON.stringify([...new Set(wanted)]), created_at: this.clock.now() })
          .execute();
      } else {
        const merged = [...new Set([...(JSON.parse(row.sender_usernames) as string[]), ...wanted])];
        await trx.updateTable("email_domains").set({ sender_usernames: JSON.stringify(merged) }).where("resource_id", "=", resourceId).where("domain", "=", name).execute();
      }
    });
    return (await this.find(resourceId, name))!;
  }

  async remove(resourceId: string, domain: string): Promise<boolean> {
    const result = await this.store.write((trx) =>
      trx.deleteFrom("email_domains").where("resource_id", "=", resourceId).where("domain", "=", domain.toLowerCase()).executeTakeFirst(),
    );
    return Number(result.numDeletedRows) > 0;
  }
}
