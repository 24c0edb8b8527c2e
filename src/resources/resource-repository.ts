import { createSecretKey } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { Database, ResourcesTable } from "../store/schema.js";
import type { Store } from "../store/store.js";
import { generateAccessKey, newId, shortId } from "../util/crypto.js";
import type { KeyName, Resource } from "./resource.js";

export const RESOURCE_CHANGED = "resource";
const DEFAULT_GROUP = "switchboard-dev";
const DEFAULT_LOCATION = "United States";

function toResource(row: Selectable<ResourcesTable>): Resource {
  return {
    id: row.id,
    name: row.name,
    hostnames: JSON.parse(row.hostnames) as string[],
    isDefault: row.is_default === 1,
    createdAt: Number(row.created_at),
    resourceGroup: row.resource_group ?? DEFAULT_GROUP,
    dataLocation: row.data_location ?? DEFAULT_LOCATION,
    tags: JSON.parse(row.tags ?? "{}") as Record<string, string>,
    linkedDomains: JSON.parse(row.linked_domains ?? "[]") as string[],
    notificationHub: row.notification_hub == null ? null : (JSON.parse(row.notification_hub) as Resource["notificationHub"]),
    port: row.port == null ? null : Number(row.port),
    updatedAt: Number(row.updated_at ?? row.created_at),
    keys: {
      primary: { name: "primary", value: row.primary_key, hmacKey: createSecretKey(Buffer.from(row.primary_key, "base64")), id: row.primary_key_id },
      secondary: { name: "secondary", value: row.secondary_key, hmacKey: createSecretKey(Buffer.from(row.secondary_key, "base64")), id: row.secondary_key_id },
    },
  };
}

export interface DefaultResourceSpec {
  name: string;
  id?: string | undefined;
  primaryKey?: string | undefined;
  secondaryKey?: string | undefined;
  /** Its resource group (default `switchboard-dev`); applied when the resource is created. */
  resourceGroup?: string | undefined;
}

/** The ARM facts of a new resource. */
export interface NewResourceOptions {
  resourceGroup?: string;
  dataLocation?: string;
  tags?: Record<string, string>;
  /** Its own HTTPS port (null: ephemeral per process). */
  port?: number | null;
}

/** What PATCH (and linkNotificationHub) may change. */
export interface ResourceUpdate {
  tags?: Record<string, string>;
  linkedDomains?: string[];
  notificationHub?: Resource["notificationHub"];
}

/** Storage of resources and their access keys. */
export class ResourceRepository {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  async list(db: Kysely<Database> = this.store.db): Promise<Resource[]> {
    const rows = await db.selectFrom("resources").selectAll().orderBy("created_at").orderBy("name").execute();
    return rows.map(toResource);
  }

  async findByName(name: string): Promise<Resource | undefined> {
    const row = await this.store.db.selectFrom("resources").selectAll().where("name", "=", name).executeTakeFirst();
    return row === undefined ? undefined : toResource(row);
  }

  /**
   * Creates the default resource if there is none (safe when several processes start at once: the unique name
   * decides), then applies pinned keys. Returns the default resource.
   */
  async ensureDefault(spec: DefaultResourceSpec): Promise<Resource> {
    return this.store.write(async (trx, ctx) => {
      await trx
        .insertInto("resources")
        .values({
          id: spec.id ?? newId(),
          name: spec.name,
          hostnames: "[]",
          primary_key: spec.primaryKey ?? generateAccessKey(),
          primary_key_id: shortId(),
          secondary_key: spec.secondaryKey ?? generateAccessKey(),
          secondary_key_id: shortId(),
          is_default: 1,
          created_at: this.now(),
          resource_group: spec.resourceGroup ?? DEFAULT_GROUP,
        })
        .onConflict((oc) => oc.column("name").doNothing())
        .execute();
      const row = await trx.selectFrom("resources").selectAll().where("name", "=", spec.name).executeTakeFirstOrThrow();
      const pins: Array<[KeyName, string | undefined]> = [
        ["primary", spec.primaryKey],
        ["secondary", spec.secondaryKey],
      ];
      for (const [name, pinned] of pins) {
        if (pinned === undefined || row[`${name}_key`] === pinned) continue;
        await trx
          .updateTable("resources")
          .set({ [`${name}_key`]: pinned, [`${name}_key_id`]: shortId() })
          .where("id", "=", row.id)
          .execute();
        ctx.emit({ topic: RESOURCE_CHANGED, resourceId: row.id });
      }
      return toResource(await trx.selectFrom("resources").selectAll().where("id", "=", row.id).executeTakeFirstOrThrow());
    });
  }

  /** Replaces one key with a fresh random one; every process drops the old key within the poll interval. */
  async regenerateKey(resourceId: string, key: KeyName): Promise<Resource> {
    return this.store.write(async (trx, ctx) => {
      const result = await trx
        .updateTable("resources")
        .set({ [`${key}_key`]: generateAccessKey(), [`${key}_key_id`]: shortId() })
        .where("id", "=", resourceId)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new Error(`no resource ${resourceId}`);
      ctx.emit({ topic: RESOURCE_CHANGED, resourceId });
      return toResource(await trx.selectFrom("resources").selectAll().where("id", "=", resourceId).executeTakeFirstOrThrow());
    });
  }

  async create(name: string, hostnames: string[], options: NewResourceOptions = {}): Promise<Resource> {
    return this.store.write(async (trx, ctx) => {
      const id = newId();
      const now = this.now();
      await trx
        .insertInto("resources")
        .values({
          id,
          name,
          hostnames: JSON.stringify(hostnames.map((h) => h.toLowerCase())),
          primary_key: generateAccessKey(),
          primary_key_id: shortId(),
          secondary_key: generateAccessKey(),
          secondary_key_id: shortId(),
          is_default: 0,
          created_at: now,
          resource_group: options.resourceGroup ?? DEFAULT_GROUP,
          data_location: options.dataLocation ?? DEFAULT_LOCATION,
          tags: JSON.stringify(options.tags ?? {}),
          linked_domains: "[]",
          notification_hub: null,
          port: options.port ?? null,
          updated_at: now,
        })
        .execute();
      ctx.emit({ topic: RESOURCE_CHANGED, resourceId: id });
      return toResource(await trx.selectFrom("resources").selectAll().where("id", "=", id).executeTakeFirstOrThrow());
    });
  }

  /** Changes tags, linked domains or the notification hub; undefined if there is no such resource. */
  async update(resourceId: string, change: ResourceUpdate): Promise<Resource | undefined> {
    return this.store.write(async (trx, ctx) => {
      const set: Record<string, unknown> = { updated_at: this.now() };
      if (change.tags !== undefined) set.tags = JSON.stringify(change.tags);
      if (change.linkedDomains !== undefined) set.linked_domains = JSON.stringify(change.linkedDomains);
      if (change.notificationHub !== undefined) set.notification_hub = change.notificationHub === null ? null : JSON.stringify(change.notificationHub);
      const result = await trx.updateTable("resources").set(set).where("id", "=", resourceId).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      ctx.emit({ topic: RESOURCE_CHANGED, resourceId });
      return toResource(await trx.selectFrom("resources").selectAll().where("id", "=", resourceId).executeTakeFirstOrThrow());
    });
  }

  /**
   * Deletes a resource and everything stored under it (identities, threads, numbers, messages, outbox, calls, event
   * subscriptions and their pending or dead-lettered deliveries) in one
   * transaction; every process drops its keys within the poll interval. False if there was no such resource.
   */
  async delete(resourceId: string): Promise<boolean> {
    return this.store.write(async (trx, ctx) => {
      const row = await trx.selectFrom("resources").select("id").where("id", "=", resourceId).executeTakeFirst();
      if (row === undefined) return false;
      await purgeResourceData(trx, resourceId);
      await trx.deleteFrom("resources").where("id", "=", resourceId).execute();
      ctx.emit({ topic: RESOURCE_CHANGED, resourceId });
      return true;
    });
  }

  /** The lowest port at or above `base` that no resource has taken (and that is not in `reserved`). */
  async nextFreePort(base: number, reserved: readonly number[]): Promise<number> {
    const rows = await this.store.db.selectFrom("resources").select("port").where("port", "is not", null).execute();
    const taken = new Set([...rows.map((r) => Number(r.port)), ...reserved]);
    let port = base;
    while (taken.has(port)) port++;
    if (port > 65535) throw new Error("no free resource port left");
    return port;
  }
}

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
  "event_deliveries",
  "event_subscriptions",
] as const satisfies ReadonlyArray<keyof Database>;

/**
 * Deletes everything stored under a resource, inside the caller's transaction. The activity record kept in its own
 * SQLite file (docs/monitoring.md) ages out by retention; its rows name a resource id no request can reach again.
 */
async function purgeResourceData(trx: Kysely<Database>, resourceId: string): Promise<void> {
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
