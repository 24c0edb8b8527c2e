import type { PostgresCursor, PostgresPool, PostgresPoolClient } from "kysely";
import type pg from "pg";

/** Distinct statement texts that get a name; past this, further texts run unnamed (parsed each time). */
const MAX_NAMED = 500;
/** Longer texts are multi-row inserts of varying size (activity batches): naming them would only fill the cache. */
const MAX_NAMED_LENGTH = 2_000;

/**
 * Kysely's pool, with every parameterized statement a request runs sent as a named (prepared) statement: each
 * connection parses and plans a text once, later executions only bind and execute. The name is derived from the
 * text, the same in every connection of the process.
 *
 * Not named: texts without parameters (BEGIN, COMMIT, savepoints: the simple protocol is cheaper), long ones, and
 * those selecting `*`: a prepared `select *` fails with "cached plan must not change result type" once another
 * replica's migration adds a column, and that must not break a running replica during a rolling upgrade.
 */
export function preparedStatementPool(pool: pg.Pool): PostgresPool {
  const names = new Map<string, string>();
  const nameOf = (text: string, parameters: number): string | undefined => {
    if (parameters === 0 || text.length > MAX_NAMED_LENGTH || text.includes("*")) return undefined;
    let name = names.get(text);
    if (name === undefined && names.size < MAX_NAMED) {
      name = `sb${names.size}`;
      names.set(text, name);
    }
    return name;
  };
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    query: ((text: string | PostgresCursor<unknown>, parameters?: ReadonlyArray<unknown>) => {
      if (typeof text !== "string") return client.query(text as never);
      const values = (parameters ?? []) as unknown[];
      const name = nameOf(text, values.length);
      return name === undefined ? client.query(text, values) : client.query({ name, text, values });
    }) as unknown as PostgresPoolClient["query"],
    release: () => client.release(),
  });
  // One wrapper per connection: Kysely keys its connection objects on the client it is given.
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    connect: async () => {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (w === undefined) wrapped.set(client, (w = wrap(client)));
      return w;
    },
    end: () => pool.end(),
  };
}
