import { sql, type Selectable } from "kysely";
import type { Dialect } from "../store/migrations/migration-context.js";
import type { Statement } from "../store/sqlite-writer-thread.js";
import { bucketOf } from "./activity-bucket.js";
import { ROW_COLUMNS, type ActivityRows } from "./activity-rows.js";
import type { ActivityStorage } from "./activity-storage.js";
import type { ActivityEventsTable } from "./activity-tables.js";
import { outcomeOf, type ActivityEvent, type ActivityFields } from "./activity-event.js";

type StoredRow = Selectable<ActivityEventsTable>;

/** Position of the last event of a page: the next page starts strictly after it (newest first). */
export interface ActivityCursor {
  time: number;
  id: number;
}

export interface ActivityQuery {
  /** One identity's events; absent: every identity's (an event filed under several identities comes once per identity). */
  identity?: string;
  /** Restrict to one resource (the API); the CLI sees every resource. */
  resourceId?: string;
  /** Inclusive lower bound, epoch ms. */
  from?: number;
  /** Exclusive upper bound, epoch ms. */
  to?: number;
  /** An exact operation name or a prefix pattern `chat.*` (validated by the caller). */
  operation?: string;
  limit: number;
  after?: ActivityCursor;
}

/** The console's live views (newest first by row id, which grows as rows are appended). */
export interface RecentQuery {
  /** One identity's (or one key's, such as a console operator's) rows; absent: every row. */
  identity?: string;
  resourceId?: string;
  /** An exact operation name or a prefix pattern `chat.*` (validated by the caller). */
  operation?: string;
  outcome?: "succeeded" | "failed";
  /** Inclusive lower bound, epoch ms. */
  from?: number;
  /** Only rows appended after this row id (a live tail's cursor). */
  afterSeq?: number;
  limit: number;
}

/** An event with the row id it was read from (the cursor of a live tail). */
export interface RecentEvent {
  seq: number;
  event: ActivityEvent;
}

/** Deletes go in chunks so no single transaction holds the write lock for long. */
const DELETE_CHUNK = 5_000;

/**
 * Appends are split into chunks of these sizes, so that only a handful of distinct INSERT texts exist: SQLite's
 * statement cache (keyed by SQL text) then serves them all, and batches of every size never crowd out the request
 * path's statements.
 */
const CHUNK_SIZES = [128, 32, 8, 1] as const;

function insertText(dialect: Dialect, rows: number): string {
  let n = 0;
  const placeholder = dialect === "postgres" ? () => `$${++n}` : () => "?";
  const tuple = () => `(${ROW_COLUMNS.map(placeholder).join(", ")})`;
  const tuples = Array.from({ length: rows }, tuple).join(", ");
  return `insert into "activity_events" (${ROW_COLUMNS.map((c) => `"${c}"`).join(", ")}) values ${tuples}`;
}

function toEvent(row: StoredRow): ActivityEvent {
  const event: ActivityEvent = {
    id: row.event_id,
    time: new Date(Number(row.time)).toISOString(),
    resourceId: row.resource_id,
    operation: row.operation,
    outcome: outcomeOf(row.status, row.error_code),
    subjects: JSON.parse(row.subjects) as string[],
  };
  if (row.status !== null) event.status = Number(row.status);
  if (row.error_code !== null) event.errorCode = row.error_code;
  if (row.principal !== null) event.principal = row.principal;
  if (row.fields !== null) event.fields = JSON.parse(row.fields) as ActivityFields;
  // Request events (those with a status) use the request id as their event id.
  if (row.status !== null) event.requestId = row.event_id;
  return event;
}

/** Storage of the activity record: batched appends, the per-identity query, purge and retention. */
export class ActivityRepository {
  private readonly insertTexts = new Map<number, string>();

  constructor(private readonly storage: ActivityStorage) {}

  /**
   * Appends rows in one transaction, committed when the promise resolves. The INSERTs are written out here rather
   * than built by Kysely's query builder: they are the hot path of the recorder, and a fixed set of texts with
   * positional parameters is all they need.
   */
  async append(rows: ActivityRows): Promise<void> {
    if (rows.length === 0) return;
    const statements: Statement[] = [];
    let i = 0;
    for (const size of CHUNK_SIZES) {
      for (; rows.length - i >= size; i += size) statements.push({ sql: this.insertText(size), parameters: rows.parameters(i, i + size) });
    }
    await this.storage.run(statements);
  }

  private insertText(rows: number): string {
    let text = this.insertTexts.get(rows);
    if (text === undefined) {
      text = insertText(this.storage.dialect, rows);
      this.insertTexts.set(rows, text);
    }
    return text;
  }

  /** One page, newest first; `next` is set when more rows follow. */
  async query(q: ActivityQuery): Promise<{ events: ActivityEvent[]; next?: ActivityCursor }> {
    let select = this.storage.db
      .selectFrom("activity_events")
      .selectAll();
    if (q.identity !== undefined) select = select.where("bucket", "=", bucketOf(q.identity)).where("identity", "=", q.identity);
    if (q.resourceId !== undefined) select = select.where("resource_id", "=", q.resourceId);
    if (q.from !== undefined) select = select.where("time", ">=", q.from);
    if (q.to !== undefined) select = select.where("time", "<", q.to);
    if (q.operation !== undefined && q.operation !== "*") {
      if (q.operation.endsWith(".*")) {
        const prefix = q.operation.slice(0, -1);
        // substr is exact and case-sensitive on both backends (LIKE is not, on SQLite).
        select = select.where(sql<string>`substr(operation, 1, ${prefix.length})`, "=", prefix);
      } else {
        select = select.where("operation", "=", q.operation);
      }
    }
    const after = q.after;
    if (after !== undefined) {
      select = select.where((eb) => eb.or([eb("time", "<", after.time), eb.and([eb("time", "=", after.time), eb("id", "<", after.id)])]));
    }
    const rows = await select.orderBy("time", "desc").orderBy("id", "desc").limit(q.limit + 1).execute();
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      events: page.map(toEvent),
      ...(rows.length > q.limit && last !== undefined ? { next: { time: Number(last.time), id: Number(last.id) } } : {}),
    };
  }

  /**
   * The newest rows, one per event (an event filed under several identities or keys comes once). Every row: by row id
   * (ids grow as rows are appended, so this walks the primary key backwards and stops at `limit`; `afterSeq` bounds
   * it). One identity's or key's: by its bucket's index, newest first.
   */
  async recent(q: RecentQuery): Promise<RecentEvent[]> {
    let select = this.storage.db.selectFrom("activity_events").selectAll();
    if (q.identity !== undefined) select = select.where("bucket", "=", bucketOf(q.identity)).where("identity", "=", q.identity);
    if (q.resourceId !== undefined) select = select.where("resource_id", "=", q.resourceId);
    if (q.from !== undefined) select = select.where("time", ">=", q.from);
    if (q.afterSeq !== undefined) {
      select = select.where("id", ">", q.afterSeq);
      if (q.identity !== undefined) {
        // One identity's rows are read in the index's (time) order: rows after the cursor's row are no older than it
        // (give or take the writer's batching), so the scan stops at its time instead of walking the whole bucket.
        const at = await this.storage.db.selectFrom("activity_events").select("time").where("id", "=", q.afterSeq).executeTakeFirst();
        if (at !== undefined) select = select.where("time", ">=", Number(at.time) - 60_000);
      }
    }
    if (q.operation !== undefined && q.operation !== "*") {
      const prefix = q.operation.endsWith(".*") ? q.operation.slice(0, -1) : undefined;
      select = prefix !== undefined ? select.where(sql<string>`substr(operation, 1, ${prefix.length})`, "=", prefix) : select.where("operation", "=", q.operation);
    }
    if (q.outcome === "failed") select = select.where((eb) => eb.or([eb("error_code", "is not", null), eb("status", ">=", 400)]));
    if (q.outcome === "succeeded") select = select.where("error_code", "is", null).where((eb) => eb.or([eb("status", "is", null), eb("status", "<", 400)]));
    // Rows of one event are appended together: a few more than `limit` leave room for the duplicates dropped below.
    // Every row: newest first by id (the primary key, read backwards). One identity's: by its index (bucket, time, id).
    const ordered = q.identity === undefined ? select.orderBy("id", "desc") : select.orderBy("time", "desc").orderBy("id", "desc");
    const rows = await ordered.limit(q.limit * 2).execute();
    const seen = new Set<string>();
    const out: RecentEvent[] = [];
    for (const row of rows) {
      if (seen.has(row.event_id)) continue;
      seen.add(row.event_id);
      out.push({ seq: Number(row.id), event: toEvent(row) });
      if (out.length === q.limit) break;
    }
    return out;
  }

  /** The highest row id (0 when the record is empty): where a live tail starts. */
  async lastSeq(): Promise<number> {
    const row = await this.storage.db.selectFrom("activity_events").select((eb) => eb.fn.max("id").as("id")).executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  /**
   * The first row id at or after `time` (epoch ms), by a binary search over the primary key (row ids grow with
   * time; there is no time index): each step is one indexed lookup.
   */
  async firstSeqAt(time: number): Promise<number | undefined> {
    const seqAt = async (seq: number) =>
      this.storage.db.selectFrom("activity_events").select(["id", "time"]).where("id", ">=", seq).orderBy("id").limit(1).executeTakeFirst();
    let hi = await this.lastSeq();
    const last = await seqAt(hi);
    if (last === undefined || Number(last.time) < time) return undefined;
    let lo = 0;
    // Invariant: the row at or after `hi` is at or after `time`; rows before `lo` are before it.
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const row = await seqAt(mid);
      if (row !== undefined && Number(row.time) >= time) hi = Math.min(mid, Number(row.id));
      else lo = row === undefined ? mid + 1 : Number(row.id) + 1;
    }
    return hi;
  }

  /**
   * User access tokens issued from `from` (epoch ms) on, in one resource (or all): successful events that annotated
   * `expiresOn`, once each. `rows` narrows the count to row ids in (after, upTo]: a caller that keeps a running count
   * adds only the rows appended since (an event's rows are appended in one transaction, so never split).
   */
  async tokensIssuedSince(from: number, resourceId?: string, rows: { after?: number; upTo?: number } = {}): Promise<number> {
    const first = Math.max(await this.firstSeqAt(from) ?? Number.POSITIVE_INFINITY, (rows.after ?? -1) + 1);
    if (first === Number.POSITIVE_INFINITY) return 0;
    let select = this.storage.db
      .selectFrom("activity_events")
      .select((eb) => eb.fn.count<number>("event_id").distinct().as("n"))
      .where("id", ">=", first)
      .where("time", ">=", from)
      .where("fields", "like", '%"expiresOn":%')
      .where("error_code", "is", null)
      .where((eb) => eb.or([eb("status", "is", null), eb.and([eb("status", ">=", 200), eb("status", "<", 300)])]));
    if (resourceId !== undefined) select = select.where("resource_id", "=", resourceId);
    if (rows.upTo !== undefined) select = select.where("id", "<=", rows.upTo);
    const row = await select.executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Every event of an identity (for the summary), oldest first. */
  async all(identity: string): Promise<ActivityEvent[]> {
    const rows = await this.storage.db
      .selectFrom("activity_events")
      .selectAll()
      .where("bucket", "=", bucketOf(identity))
      .where("identity", "=", identity)
      .orderBy("time")
      .orderBy("id")
      .execute();
    return rows.map(toEvent);
  }

  /** Removes every row filed under the identity; returns how many. */
  async purge(identity: string): Promise<number> {
    const purge = this.storage.db
      .deleteFrom("activity_events")
      .where("bucket", "=", bucketOf(identity))
      .where("identity", "=", identity)
      .compile();
    const [removed] = await this.storage.run([purge]);
    return removed ?? 0;
  }

  async count(): Promise<number> {
    const row = await this.storage.db.selectFrom("activity_events").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Deletes rows older than `cutoff` (epoch ms), oldest first, in chunks. */
  async deleteOlderThan(cutoff: number): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.deleteOldest(DELETE_CHUNK, cutoff);
      total += n;
      if (n < DELETE_CHUNK) return total;
    }
  }

  /** Deletes the oldest rows until at most `maxRows` remain. */
  async trimTo(maxRows: number): Promise<number> {
    let excess = (await this.count()) - maxRows;
    let total = 0;
    while (excess > 0) {
      const n = await this.deleteOldest(Math.min(excess, DELETE_CHUNK));
      if (n === 0) break;
      total += n;
      excess -= n;
    }
    return total;
  }

  /**
   * The oldest rows are those with the lowest ids (rows are appended as they happen), so this walks the primary key
   * from its start and needs no time index.
   */
  private async deleteOldest(limit: number, before?: number): Promise<number> {
    let oldest = this.storage.db.selectFrom("activity_events").select("id");
    if (before !== undefined) oldest = oldest.where("time", "<", before);
    const ids = oldest.orderBy("id").limit(limit);
    const [removed] = await this.storage.run([this.storage.db.deleteFrom("activity_events").where("id", "in", ids).compile()]);
    return removed ?? 0;
  }
}
