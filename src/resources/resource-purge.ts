import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";

/** Tables whose rows belong to one resource through a `resource_id` column (children of threads and calls first). */
const RESOURCE_TABLES = [
  "identities",
  "entra_user_identities",
  "phone_numbers",
  "phone_number_holds",
  "phone_number_searches",
  "phone_number_reservations",
  "phone_number_operations",
  "sms_messages",
  "sms_opt_outs",
  "sms_webhooks",
  "email_domains",
  "email_operations",
  "outbox_messages",
  "activity_events",
  "calls",
] as const satisfies ReadonlyArray<keyof Database>;

/**
 * Deletes everything stored under a resource, inside the caller's transaction. The activity record kept in its own
 * SQLite file (docs/monitoring.md) ages out by retention; its rows name a resource id no request can reach again.
 */
export async function purgeResourceData(trx: Kysely<Database>, resourceId: string): Promise<void> {
  const threads = trx.selectFrom("chat_threads").select("id").where("resource_id", "=", resourceId);
  await trx.deleteFrom("chat_read_receipts").where("thread_id", "in", threads).execute();
  await trx.deleteFrom("chat_messages").where("thread_id", "in", threads).execute();
  await trx.deleteFrom("chat_participants").where("thread_id", "in", threads).execute();
  await trx.deleteFrom("chat_threads").where("resource_id", "=", resourceId).execute();
  const calls = trx.selectFrom("calls").select("id").where("resource_id", "=", resourceId);
  await trx.deleteFrom("call_participants").where("call_id", "in", calls).execute();
  for (const table of RESOURCE_TABLES) {
    await trx.deleteFrom(table).where("resource_id" as never, "=", resourceId as never).execute();
  }
}
