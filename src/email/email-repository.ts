import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import type { Store } from "../store/store.js";
import type { EmailOperationsTable } from "./email-tables.js";

/** A domain row an operator added (the managed domain is not stored). */
export interface StoredEmailDomain {
  domain: string;
  senderUsernames: string[];
}

export type EmailOperation = EmailOperationsTable;

export interface EmailOperationOutcome {
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
  updatedAt: number;
}

/** Storage of e-mail sender domains and send operations. */
export class EmailRepository {
  constructor(private readonly store: Store) {}

  async listDomains(resourceId: string): Promise<StoredEmailDomain[]> {
    const rows = await this.store.db.selectFrom("email_domains").selectAll().where("resource_id", "=", resourceId).orderBy("domain").execute();
    return rows.map((r) => ({ domain: r.domain, senderUsernames: JSON.parse(r.sender_usernames) as string[] }));
  }

  /** Adds the domain (lower-case already) with these user names, or merges them into the stored ones. */
  async addDomain(resourceId: string, domain: string, usernames: string[], now: number): Promise<void> {
    await this.store.write(async (trx) => {
      const row = await trx.selectFrom("email_domains").selectAll().where("resource_id", "=", resourceId).where("domain", "=", domain).executeTakeFirst();
      if (row === undefined) {
        await trx
          .insertInto("email_domains")
          .values({ resource_id: resourceId, domain, sender_usernames: JSON.stringify([...new Set(usernames)]), created_at: now })
          .execute();
      } else {
        const merged = [...new Set([...(JSON.parse(row.sender_usernames) as string[]), ...usernames])];
        await trx.updateTable("email_domains").set({ sender_usernames: JSON.stringify(merged) }).where("resource_id", "=", resourceId).where("domain", "=", domain).execute();
      }
    });
  }

  async removeDomain(resourceId: string, domain: string): Promise<boolean> {
    const result = await this.store.write((trx) =>
      trx.deleteFrom("email_domains").where("resource_id", "=", resourceId).where("domain", "=", domain.toLowerCase()).executeTakeFirst(),
    );
    return Number(result.numDeletedRows) > 0;
  }

  /** Inserts an operation inside the caller's write; false when one with the same (resource, id) exists. */
  async insertOperation(db: Kysely<Database>, operation: EmailOperation): Promise<boolean> {
    const created = await db
      .insertInto("email_operations")
      .values(operation)
      .onConflict((oc) => oc.columns(["resource_id", "id"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    return created !== undefined;
  }

  async findOperation(resourceId: string, id: string): Promise<EmailOperation | undefined> {
    return this.store.db.selectFrom("email_operations").selectAll().where("resource_id", "=", resourceId).where("id", "=", id).executeTakeFirst();
  }

  /**
   * Records an operation's outcome; with `onlyIfRunning`, only while it is still Running. `alsoInTransaction` writes
   * what the outcome raises (its delivery-report events) in the same transaction.
   */
  async finishOperation(
    resourceId: string,
    id: string,
    outcome: EmailOperationOutcome,
    options: { onlyIfRunning?: boolean; alsoInTransaction?: (trx: Kysely<Database>) => Promise<unknown> } = {},
  ): Promise<void> {
    await this.store.write(async (trx) => {
      let update = trx
        .updateTable("email_operations")
        .set({ status: outcome.status, error_code: outcome.errorCode, error_message: outcome.errorMessage, updated_at: outcome.updatedAt })
        .where("resource_id", "=", resourceId)
        .where("id", "=", id);
      if (options.onlyIfRunning === true) update = update.where("status", "=", "Running");
      await update.execute();
      await options.alsoInTransaction?.(trx);
    });
  }
}
