import { sql, type RawBuilder } from "kysely";
import type { Store } from "../store/store.js";

/**
 * Which server processes are alive (docs/realtime.md, "When a replica dies"): each one upserts its heartbeat row in
 * `realtime_replicas` every few seconds, stamped with the **database's** clock, so replicas on machines whose clocks
 * differ, and tests that freeze the injected clock, judge staleness alike.
 */
export class ReplicaRepository {
  constructor(private readonly store: Store) {}

  /** The database's time in epoch milliseconds, as an SQL expression. */
  private dbNow(): RawBuilder<number> {
    return this.store.dialect === "postgres"
      ? sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`
      : sql<number>`cast(round((julianday('now') - 2440587.5) * 86400000) as integer)`;
  }

  /** Records that `replica` is alive now. */
  async beat(replica: string): Promise<void> {
    await this.store.write(async (trx) => {
      await trx
        .insertInto("realtime_replicas")
        .values({ replica, started_at: this.dbNow(), seen_at: this.dbNow() })
        .onConflict((oc) => oc.column("replica").doUpdateSet({ seen_at: this.dbNow() }))
        .execute();
    });
  }

  /** The replicas whose last heartbeat is younger than `timeoutMs`. */
  async live(timeoutMs: number): Promise<Set<string>> {
    const rows = await this.store.db
      .selectFrom("realtime_replicas")
      .select("replica")
      .where("seen_at", ">", sql<number>`${this.dbNow()} - ${timeoutMs}`)
      .execute();
    return new Set(rows.map((r) => r.replica));
  }

  /** Forgets `replica` (a clean stop) and every replica silent for longer than `forgetMs`. */
  async forget(replica: string | undefined, forgetMs: number): Promise<void> {
    await this.store.write(async (trx) => {
      await trx
        .deleteFrom("realtime_replicas")
        .where((eb) => {
          const stale = eb("seen_at", "<", sql<number>`${this.dbNow()} - ${forgetMs}`);
          return replica === undefined ? stale : eb.or([eb("replica", "=", replica), stale]);
        })
        .execute();
    });
  }
}
