import type pg from "pg";

/**
 * The first steps of a LISTEN connection, shared by the change listener (store/pg-change-listener.ts) and the
 * realtime bus (realtime/pg-realtime-bus.ts): connect, learn the session's schema and backend pid, LISTEN on the
 * channel named for that schema. A failure rejects; each caller closes the client and schedules its own reconnect.
 */
export async function connectAndListen(client: pg.Client, channelOf: (schema: string) => string): Promise<{ schema: string; pid: number; channel: string }> {
  await client.connect();
  const result = await client.query<{ schema: string | null; pid: number }>("select current_schema() as schema, pg_backend_pid() as pid");
  const schema = result.rows[0]?.schema ?? "public";
  const channel = channelOf(schema);
  await client.query(`LISTEN ${channel}`);
  return { schema, pid: result.rows[0]?.pid ?? 0, channel };
}
