import { createHash } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import { SMS_DELIVERY_REPORT_RECEIVED } from "./sms-events.js";

/**
 * The SMS delivery-report webhooks of before the event outbox (`sms.deliveryReportWebhooks` in the configuration,
 * `switchboard sms webhooks add`) are delivered through the outbox like subscriptions: each (resource, URL) is an
 * `event_subscriptions` row with an id of this prefix, schema eventgrid, type SMSDeliveryReportReceived only, active
 * without a handshake (those endpoints never had one). `syncSmsWebhookTargets` keeps the rows equal to the configured
 * and stored URLs; it runs in the send's transaction, so the recorder writes their deliveries with the send.
 */
export const SMS_WEBHOOK_PREFIX = "smswebhook-";
export const SMS_WEBHOOK_DETAIL = "SMS delivery-report webhook (sms.deliveryReportWebhooks / switchboard sms webhooks)";

export function smsWebhookTargetId(resourceId: string, url: string): string {
  return SMS_WEBHOOK_PREFIX + createHash("sha256").update(`${resourceId}\n${url}`).digest("hex").slice(0, 32);
}

export function isSmsWebhookTarget(subscriptionId: string): boolean {
  return subscriptionId.startsWith(SMS_WEBHOOK_PREFIX);
}

/**
 * PostgreSQL: tells every replica's realtime bus (its LISTEN connection, src/realtime/pg-realtime-bus.ts) that events
 * were queued, from inside the recording transaction, so the notification is delivered when, and only if, it
 * commits. The channel is the bus's (`switchboard_rt_` + the first 16 hex digits of sha256(schema)); the envelope's
 * origin "db" is no replica's, so the recording replica hears it too.
 */
export async function notifyEventsQueued(db: Kysely<Database>): Promise<void> {
  await sql`select pg_notify('switchboard_rt_' || substr(encode(sha256(convert_to(current_schema(), 'UTF8')), 'hex'), 1, 16), ${EVENTS_QUEUED_PAYLOAD})`.execute(db);
}

const EVENTS_QUEUED_PAYLOAD = JSON.stringify({ o: "db", m: { kind: "eventsQueued" } });

/** Makes the resource's SMS webhook targets exactly `urls`: adds the missing ones, drops the others (and their queue). */
export async function syncSmsWebhookTargets(db: Kysely<Database>, resourceId: string, urls: readonly string[], now: number): Promise<void> {
  const wanted = new Map(urls.map((url) => [smsWebhookTargetId(resourceId, url), url]));
  const existing = await db
    .selectFrom("event_subscriptions")
    .select("id")
    .where("resource_id", "=", resourceId)
    .where("id", "like", `${SMS_WEBHOOK_PREFIX}%`)
    .execute();
  const have = new Set(existing.map((r) => r.id));
  const gone = [...have].filter((id) => !wanted.has(id));
  if (gone.length > 0) {
    await db.deleteFrom("event_deliveries").where("subscription_id", "in", gone).execute();
    await db.deleteFrom("event_subscriptions").where("id", "in", gone).execute();
  }
  const missing = [...wanted].filter(([id]) => !have.has(id));
  if (missing.length === 0) return;
  await db
    .insertInto("event_subscriptions")
    .values(
      missing.map(([id, url]) => ({
        id,
        resource_id: resourceId,
        endpoint: url,
        schema: "eventgrid",
        types: JSON.stringify([SMS_DELIVERY_REPORT_RECEIVED]),
        status: "active",
        status_detail: SMS_WEBHOOK_DETAIL,
        created_at: now,
      })),
    )
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
}
