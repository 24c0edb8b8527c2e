import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../store/schema.js";
import { LocalRealtimeBus, type RealtimeBus } from "./realtime-bus.js";

/**
 * The realtime bus for the store: in-process for SQLite (one process owns the file), PostgreSQL LISTEN/NOTIFY when
 * replicas share a PostgreSQL database (docs/realtime.md). The PostgreSQL bus (and the `pg` driver) is loaded only then.
 */
export async function openRealtimeBus(options: { databaseUrl: string | undefined; db: Kysely<Database>; log: Logger }): Promise<RealtimeBus> {
  if (options.databaseUrl === undefined) return new LocalRealtimeBus(randomUUID());
  const { db, log } = options;
  const { PgRealtimeBus } = await import("./pg-realtime-bus.js");
  return new PgRealtimeBus({
    connectionString: options.databaseUrl,
    query: async (channel, payloads) => {
      if (payloads.length === 1) await sql`select pg_notify(${channel}, ${payloads[0]})`.execute(db);
      else await sql`select pg_notify(${channel}, t.p) from unnest(${payloads}::text[]) with ordinality as t(p, k) order by t.k`.execute(db);
    },
    onError: (err) => log.warn({ op: "realtime.bus", err: { message: (err as Error).message } }, "realtime relay failed"),
  });
}
