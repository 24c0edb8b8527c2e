import type { Kysely } from "kysely";
import type { Database, ResourcesTable } from "../store/schema.js";
import type { Store } from "../store/store.js";
import { generateAccessKey, newId, shortId } from "../util/crypto.js";
import type { KeyName, Resource } from "./resource.js";

export const RESOURCE_CHANGED = "resource";

function toResource(row: ResourcesTable): Resource {
  return {
    id: row.id,
    name: row.name,
    hostnames: JSON.parse(row.hostnames) as string[],
    isDefault: row.is_default === 1,
    createdAt: Number(row.created_at),
    keys: {
      primary: { name: "primary", value: row.primary_key, bytes: Buffer.from(row.primary_key, "base64"), id: row.primary_key_id },
      secondary: { name: "secondary", value: row.secondary_key, bytes: Buffer.from(row.secondary_key, "base64"), id: row.secondary_key_id },
    },
  };
}

export interface DefaultResourceSpec {
  name: string;
  id?: string | undefined;
  primaryKey?: string | undefined;
  secondaryKey?: string | undefined;
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

  async create(name: string, hostnames: string[]): Promise<Resource> {
    return this.store.write(async (trx, ctx) => {
      const id = newId();
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
          created_at: this.now(),
        })
        .execute();
      ctx.emit({ topic: RESOURCE_CHANGED, resourceId: id });
      return toResource(await trx.selectFrom("resources").selectAll().where("id", "=", id).executeTakeFirstOrThrow());
    });
  }
}
