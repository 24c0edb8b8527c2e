import type { Insertable } from "kysely";
import type { ActivityEventsTable } from "./activity-tables.js";

export type ActivityRow = Insertable<ActivityEventsTable>;

/** The columns a new row is inserted with, in order (`id` is generated). */
export const ROW_COLUMNS = [
  "identity",
  "bucket",
  "event_id",
  "time",
  "resource_id",
  "operation",
  "status",
  "error_code",
  "principal",
  "subjects",
  "fields",
] as const satisfies ReadonlyArray<keyof ActivityRow>;

const WIDTH = ROW_COLUMNS.length;

/**
 * Rows waiting to be written, held as one flat array of column values (ROW_COLUMNS order, WIDTH values per row). The
 * recorder fills it on every request: with no object per row there is less for the garbage collector to promote and
 * copy while rows wait for their batch, and a batch's INSERT parameters are plain slices of it.
 */
export class ActivityRows {
  private constructor(private values: unknown[]) {}

  static empty(): ActivityRows {
    return new ActivityRows([]);
  }

  static of(rows: readonly ActivityRow[]): ActivityRows {
    const out = ActivityRows.empty();
    for (const r of rows) {
      out.values.push(r.identity, r.bucket, r.event_id, r.time, r.resource_id, r.operation, r.status ?? null);
      out.values.push(r.error_code ?? null, r.principal ?? null, r.subjects, r.fields ?? null);
    }
    return out;
  }

  get length(): number {
    return this.values.length / WIDTH;
  }

  /** Appends the same event under each identity (`bucketOf` gives each identity's bucket). */
  pushEvent(identities: readonly string[], bucketOf: (identity: string) => number, event: Omit<ActivityRow, "identity" | "bucket">): void {
    for (const identity of identities) {
      this.values.push(identity, bucketOf(identity), event.event_id, event.time, event.resource_id, event.operation, event.status ?? null);
      this.values.push(event.error_code ?? null, event.principal ?? null, event.subjects, event.fields ?? null);
    }
  }

  /** Removes the first `n` rows and returns them. */
  take(n: number): ActivityRows {
    return new ActivityRows(this.values.splice(0, n * WIDTH));
  }

  /** The column values of rows [from, to), in ROW_COLUMNS order: the parameters of one multi-row INSERT. */
  parameters(from: number, to: number): unknown[] {
    return this.values.slice(from * WIDTH, to * WIDTH);
  }

  /** The rows as objects (tests, diagnostics). */
  toArray(): ActivityRow[] {
    const rows: ActivityRow[] = [];
    for (let i = 0; i < this.values.length; i += WIDTH) {
      const row = Object.fromEntries(ROW_COLUMNS.map((c, j) => [c, this.values[i + j]])) as unknown as ActivityRow;
      rows.push(row);
    }
    return rows;
  }
}
