import type { Compilable, CompiledQuery, Kysely, QueryResult, RawBuilder } from "kysely";
import type { Database } from "./schema.js";
import { executeDirect } from "./sqlite-direct.js";

interface Compiled<R> {
  query: CompiledQuery<R>;
  /** For each parameter of `query`: the index of the call's value it takes, or -1 for a constant of the query. */
  slots: number[];
}

const marker = (i: number): string => `\u0000precompiled-${i}\u0000`;

/**
 * A query built and compiled to SQL once per dialect, then run with each call's values. Kysely builds an immutable
 * operation tree and compiles it to SQL text on every execute; on a statement that runs once per request (the chat
 * message insert, the event-subscription lookup) that costs more than the statement. The text stays the same, so
 * the drivers' statement caches (better-sqlite3's prepared statements, pg's named ones) still serve it.
 *
 * `build` receives one placeholder per value: each must reach the query as a bound parameter, as it does through
 * `sql` template interpolation or a builder's `where(column, "=", value)`, never as text (`sql.lit`, `sql.ref`,
 * identifiers); the first compile checks that.
 */
export class PrecompiledQuery<V extends unknown[], R> {
  private readonly byAdapter = new WeakMap<object, Compiled<R>>();

  constructor(
    private readonly arity: V["length"],
    /** A query builder or a `sql` template (the placeholders interpolated). */
    private readonly build: (db: Kysely<Database>, ...values: V) => Compilable<R> | RawBuilder<R>,
  ) {}

  /** Always a promise: a failure to compile, or Kysely refusing an ended transaction, rejects it. */
  execute(db: Kysely<Database>, ...values: V): Promise<QueryResult<R>> {
    try {
      const compiled = this.compiledFor(db);
      const parameters = compiled.slots.map((slot, i) => (slot === -1 ? compiled.query.parameters[i] : values[slot]));
      const query = { ...compiled.query, parameters };
      // Inside a SQLite group commit's transaction, straight to its connection (sqlite-direct.ts).
      return executeDirect(db, query) ?? db.executeQuery<R>(query);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private compiledFor(db: Kysely<Database>): Compiled<R> {
    // The adapter is one object per Kysely instance, shared by its transactions: one compile per connection kind (on
    // SQLite the writer's and the read connection's).
    const adapter = db.getExecutor().adapter;
    let compiled = this.byAdapter.get(adapter);
    if (compiled === undefined) {
      const markers = Array.from({ length: this.arity }, (_, i) => marker(i));
      const built = this.build(db, ...(markers as V));
      const query = "isRawBuilder" in built ? built.compile(db) : built.compile();
      const slots = query.parameters.map((p) => (typeof p === "string" ? markers.indexOf(p) : -1));
      const missing = markers.filter((m) => !query.parameters.includes(m));
      if (missing.length > 0 || markers.some((m) => query.sql.includes(m))) {
        throw new Error(`PrecompiledQuery: every value must be a bound parameter of the query (${query.sql})`);
      }
      compiled = { query, slots };
      this.byAdapter.set(adapter, compiled);
    }
    return compiled;
  }
}
