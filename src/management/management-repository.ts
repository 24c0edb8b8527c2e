import type { Selectable } from "kysely";
import type { Store } from "../store/store.js";
import type { ArmEmailDomainsTable, ArmEmailServicesTable, ArmOperationsTable } from "./management-tables.js";

export type ArmOperationRow = Selectable<ArmOperationsTable>;
export type ArmEmailServiceRow = Selectable<ArmEmailServicesTable>;
export type ArmEmailDomainRow = Selectable<ArmEmailDomainsTable>;

/**
 * Storage of the management plane: its settings (the subscription id), ARM long-running operations, e-mail services
 * and their domains, and the e-mail domains a resource may send from because it links them. Methods taking `db` join
 * the caller's write; the others read, or write in their own transaction.
 */
export class ManagementRepository {
  constructor(private readonly store: Store) {}

  // --- settings ---

  /** Stores `value` under `name` unless a value is there already; with `replace`, stores it anyway. The stored value. */
  async ensureSetting(name: string, value: string, replace: boolean): Promise<string> {
    return this.store.write(async (trx) => {
      await trx
        .insertInto("management_settings")
        .values({ name, value })
        .onConflict((oc) => oc.column("name").doNothing())
        .execute();
      if (replace) {
        await trx.updateTable("management_settings").set({ value }).where("name", "=", name).execute();
      }
      const row = await trx.selectFrom("management_settings").select("value").where("name", "=", name).executeTakeFirstOrThrow();
      return row.value;
    });
  }

  // --- ARM operations ---

  async insertOperation(row: ArmOperationRow): Promise<void> {
    await this.store.write(async (trx) => {
      await trx.insertInto("arm_operations").values(row).execute();
    });
  }

  async findOperation(id: string): Promise<ArmOperationRow | undefined> {
    return this.store.db.selectFrom("arm_operations").selectAll().where("id", "=", id).executeTakeFirst();
  }

  // --- e-mail services ---

  /** Every e-mail service, or those of one resource group (case-insensitive), oldest first. */
  async listEmailServices(resourceGroup?: string): Promise<ArmEmailServiceRow[]> {
    let q = this.store.db.selectFrom("arm_email_services").selectAll().orderBy("created_at").orderBy("name");
    if (resourceGroup !== undefined) q = q.where((eb) => eb(eb.fn("lower", ["resource_group"]), "=", resourceGroup.toLowerCase()));
    return q.execute();
  }

  async findEmailService(id: string): Promise<ArmEmailServiceRow | undefined> {
    return this.store.db.selectFrom("arm_email_services").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Fails on the unique index of `name` when the name is taken (names are unique on the server). */
  async insertEmailService(row: ArmEmailServiceRow): Promise<void> {
    await this.store.write((trx) => trx.insertInto("arm_email_services").values(row).execute());
  }

  async setEmailServiceTags(id: string, tags: string, now: number): Promise<void> {
    await this.store.write((trx) => trx.updateTable("arm_email_services").set({ tags, updated_at: now }).where("id", "=", id).execute());
  }

  /** Deletes the service and its domains in one transaction; the ids of the domains removed. */
  async deleteEmailService(id: string): Promise<string[]> {
    return this.store.write(async (trx) => {
      const domains = await trx.selectFrom("arm_email_domains").select("id").where("service_id", "=", id).execute();
      await trx.deleteFrom("arm_email_domains").where("service_id", "=", id).execute();
      await trx.deleteFrom("arm_email_services").where("id", "=", id).execute();
      return domains.map((d) => d.id);
    });
  }

  // --- e-mail service domains ---

  /** The domains of a service, oldest first. */
  async listDomains(serviceId: string): Promise<ArmEmailDomainRow[]> {
    return this.store.db.selectFrom("arm_email_domains").selectAll().where("service_id", "=", serviceId).orderBy("created_at").execute();
  }

  async findDomain(id: string): Promise<ArmEmailDomainRow | undefined> {
    return this.store.db.selectFrom("arm_email_domains").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async insertDomain(row: ArmEmailDomainRow): Promise<void> {
    await this.store.write((trx) => trx.insertInto("arm_email_domains").values(row).execute());
  }

  /** Changes some columns of a domain (tags, verified, sender user names) and its `updated_at`. */
  async updateDomain(id: string, change: { tags?: string; verified?: number; sender_usernames?: string; updated_at: number }): Promise<void> {
    await this.store.write((trx) => trx.updateTable("arm_email_domains").set(change).where("id", "=", id).execute());
  }

  async deleteDomain(id: string): Promise<void> {
    await this.store.write((trx) => trx.deleteFrom("arm_email_domains").where("id", "=", id).execute());
  }

  // --- a resource's sendable domains (the email_domains rows linking writes) ---

  /** Replaces the resource's row for `domain` with one holding `senderUsernames` (JSON). */
  async writeLinkedDomain(resourceId: string, domain: string, senderUsernames: string, now: number): Promise<void> {
    await this.store.write(async (trx) => {
      await trx.deleteFrom("email_domains").where("resource_id", "=", resourceId).where("domain", "=", domain).execute();
      await trx.insertInto("email_domains").values({ resource_id: resourceId, domain, sender_usernames: senderUsernames, created_at: now }).execute();
    });
  }

  async deleteLinkedDomain(resourceId: string, domain: string): Promise<void> {
    await this.store.write((trx) => trx.deleteFrom("email_domains").where("resource_id", "=", resourceId).where("domain", "=", domain).execute());
  }
}
