import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import type { Store } from "../store/store.js";
import type { SmsMessagesTable } from "./sms-tables.js";

export type SmsMessage = SmsMessagesTable;

/** Storage of sent SMS messages, opt-outs and delivery-report webhooks. Methods taking `db` join the caller's write. */
export class SmsRepository {
  constructor(private readonly store: Store) {}

  /** Which of `to` have opted out of messages from `from`. */
  async optedOut(resourceId: string, from: string, to: string[]): Promise<string[]> {
    if (to.length === 0) return [];
    const rows = await this.store.db
      .selectFrom("sms_opt_outs")
      .select("to_number")
      .where("resource_id", "=", resourceId)
      .where("from_number", "=", from)
      .where("to_number", "in", to)
      .execute();
    return rows.map((r) => r.to_number);
  }

  /**
   * Inserts a message; when its repeatability request id was already used, inserts nothing and returns the id of the
   * message first accepted with it (`{ inserted: false, originalId }`).
   */
  async insertMessage(db: Kysely<Database>, row: SmsMessage): Promise<{ inserted: true } | { inserted: false; originalId: string | undefined }> {
    const inserted = await db
      .insertInto("sms_messages")
      .values(row)
      .onConflict((oc) => oc.columns(["resource_id", "repeatability_request_id"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    if (inserted !== undefined) return { inserted: true };
    const original =
      row.repeatability_request_id === null
        ? undefined
        : await db
            .selectFrom("sms_messages")
            .select("id")
            .where("resource_id", "=", row.resource_id)
            .where("repeatability_request_id", "=", row.repeatability_request_id)
            .executeTakeFirst();
    return { inserted: false, originalId: original?.id };
  }

  async findMessage(resourceId: string, id: string): Promise<SmsMessage | undefined> {
    return this.store.db.selectFrom("sms_messages").selectAll().where("id", "=", id).where("resource_id", "=", resourceId).executeTakeFirst();
  }

  async addOptOut(db: Kysely<Database>, resourceId: string, from: string, to: string, now: number): Promise<void> {
    await db
      .insertInto("sms_opt_outs")
      .values({ resource_id: resourceId, from_number: from, to_number: to, created_at: now })
      .onConflict((oc) => oc.columns(["resource_id", "from_number", "to_number"]).doNothing())
      .execute();
  }

  async removeOptOut(db: Kysely<Database>, resourceId: string, from: string, to: string): Promise<void> {
    await db.deleteFrom("sms_opt_outs").where("resource_id", "=", resourceId).where("from_number", "=", from).where("to_number", "=", to).execute();
  }

  async isOptedOut(db: Kysely<Database>, resourceId: string, from: string, to: string): Promise<boolean> {
    const found = await db
      .selectFrom("sms_opt_outs")
      .select("to_number")
      .where("resource_id", "=", resourceId)
      .where("from_number", "=", from)
      .where("to_number", "=", to)
      .executeTakeFirst();
    return found !== undefined;
  }

  async addWebhook(resourceId: string, url: string, now: number): Promise<void> {
    await this.store.write((trx) =>
      trx
        .insertInto("sms_webhooks")
        .values({ resource_id: resourceId, url, created_at: now })
        .onConflict((oc) => oc.columns(["resource_id", "url"]).doNothing())
        .execute(),
    );
  }

  async removeWebhook(resourceId: string, url: string): Promise<boolean> {
    const result = await this.store.write((trx) => trx.deleteFrom("sms_webhooks").where("resource_id", "=", resourceId).where("url", "=", url).executeTakeFirst());
    return Number(result.numDeletedRows) > 0;
  }

  /** A resource's webhook URLs in the order they were added. */
  async listWebhooks(resourceId: string): Promise<string[]> {
    const rows = await this.store.db.selectFrom("sms_webhooks").select("url").where("resource_id", "=", resourceId).orderBy("created_at").execute();
    return rows.map((r) => r.url);
  }
}
