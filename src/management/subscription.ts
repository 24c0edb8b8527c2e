import { randomUUID } from "node:crypto";
import type { Store } from "../store/store.js";
import { ManagementRepository } from "./management-repository.js";

const SUBSCRIPTION_ID = "subscriptionId";

/**
 * The server's one subscription id: created on first start (safe when several replicas start at once: the first
 * insert wins), or the configured one, which then replaces the stored one.
 */
export async function ensureSubscriptionId(store: Store, configured: string | undefined): Promise<string> {
  return new ManagementRepository(store).ensureSetting(SUBSCRIPTION_ID, configured ?? randomUUID(), configured !== undefined);
}
