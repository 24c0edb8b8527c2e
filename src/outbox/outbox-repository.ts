import type { Insertable, Kysely, Selectable } from "kysely";
import type { Database } from "../store/schema.js";
import type { Store } from "../store/store.js";
import type { OutboxMessagesTable } from "./outbox-tables.js";

export type OutboxKind = "sms" | "email";

export interface OutboxEntry {
  id: string;
  resourceId: string;
  kind: OutboxKind;
  principal: string;
  from: string;
  to: string[];
  subject?: string;
  text?: string;
  html?: string;
  details: Record<string, unknown>;
  createdAt: number;
}

/** The outbox message as the API and the CLI show it. */
export interface OutboxView {
  id: string;
  kind: OutboxKind;
  resourceId: string;
  principal: string;
  from: string;
  to: string[];
  subject?: string;
  /** The message text: the SMS body or the e-mail's plain-text part. */
  text?: string;
  /** Alias of text, for readers that look for `content`. */
  content?: string;
  html?: string;
  createdAt: string;
  [key: string]: unknown;
}

function toRow(e: OutboxEntry): Insertable<OutboxMessagesTable> {
  return {
    message_id: e.id,
    resource_id: e.resourceId,
    kind: e.kind,
    principal: e.principal,
    from_address: e.from,
    to_addresses: JSON.stringify(e.to),
    subject: e.subject ?? null,
    text: e.text ?? null,
    html: e.html ?? null,
    details: JSON.stringify(e.details),
    created_at: e.createdAt,
  };
}

export function outboxView(row: Selectable<OutboxMessagesTable>): OutboxView {
  const details = JSON.parse(row.details) as Record<string, unknown>;
  return {
    ...details,
    id: row.message_id,
    kind: row.kind as OutboxKind,
    resourceId: row.resource_id,
    principal: row.principal,
    from: row.from_address,
    to: JSON.parse(row.to_addresses) as string[],
    ...(row.subject !== null ? { subject: row.subject } : {}),
    ...(row.text !== null ? { text: row.text, content: row.text } : {}),
    ...(row.html !== null ? { html: row.html } : {}),
    createdAt: new Date(Number(row.created_at)).toISOString(),
  };
}

export interface OutboxQuery {
  resourceId?: string | undefined;
  kind?: OutboxKind | undefined;
  skip?: number;
  limit?: number;
}

/** Storage of accepted messages: written in the same transaction that accepts a message. */
export class OutboxRepository {
  constructor(private readonly store: Store) {}

  async insert(db: Kysely<Database>, entry: OutboxEntry): Promise<void> {
    await db.insertInto("outbox_messages").values(toRow(entry)).execute();
  }

  /** Newest first. */
  async list(query: OutboxQuery): Promise<OutboxView[]> {
    let q = this.store.db.selectFrom("outbox_messages").selectAll();
    if (query.resourceId !== undefined) q = q.where("resource_id", "=", query.resourceId);
    if (query.kind !== undefined) q = q.where("kind", "=", query.kind);
    const rows = await q
      .orderBy("id", "desc")
      .offset(query.skip ?? 0)
      .limit(query.limit ?? 1000)
      .execute();
    return rows.map(outboxView);
  }

  async get(id: string, resourceId?: string): Promise<OutboxView | undefined> {
    let q = this.store.db.selectFrom("outbox_messages").selectAll().where("message_id", "=", id);
    if (resourceId !== undefined) q = q.where("resource_id", "=", resourceId);
    const row = await q.executeTakeFirst();
    return row === undefined ? undefined : outboxView(row);
  }

  /** Merges fields into a message's details (delivery status updates). */
  async updateDetails(resourceId: string, id: string, patch: Record<string, unknown>): Promise<void> {
    await this.store.write(async (trx) => {
      const row = await trx.selectFrom("outbox_messages").select("details").where("resource_id", "=", resourceId).where("message_id", "=", id).executeTakeFirst();
      if (row === undefined) return;
      const details = { ...(JSON.parse(row.details) as Record<string, unknown>), ...patch };
      await trx.updateTable("outbox_messages").set({ details: JSON.stringify(details) }).where("resource_id", "=", resourceId).where("message_id", "=", id).execute();
    });
  }

  /** Deletes the messages of one resource (or all), optionally of one kind. Returns how many. */
  async clear(resourceId?: string, kind?: OutboxKind): Promise<number> {
    return this.store.write(async (trx) => {
      let q = trx.deleteFrom("outbox_messages");
      if (resourceId !== undefined) q = q.where("resource_id", "=", resourceId);
      if (kind !== undefined) q = q.where("kind", "=", kind);
      const result = await q.executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }
}
