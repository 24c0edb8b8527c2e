import { randomUUID } from "node:crypto";
import type { Store } from "../store/store.js";

const SUBSCRIPTION_ID = "subscriptionId";

/**
 * The server's one subscription id: created on first start (safe when several replicas start at once: the first
 * insert wins), or the configured one, which then replaces the stored one.
 */
export async function ensureSubscriptionId(store: Store, configured: string | undefined): Promise<string> {
  return store.write(async (trx) => {
    await trx
      .insertInto("management_settings")
      .values({ name: SUBSCRIPTION_ID, value: configured ?? randomUUID() })
      .onConflict((oc) => oc.column("name").doNothing())
      .execute();
    if (configured !== undefined) {
      await trx.updateTable("management_settings").set({ value: configured }).where("name", "=", SUBSCRIPTION_ID).execute();
    }
    const row = await trx.selectFrom("management_settings").select("value").where("name", "=", SUBSCRIPTION_ID).executeTakeFirstOrThrow();
    return row.value;
  });
}
