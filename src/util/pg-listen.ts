import type pg from "pg";

export interface ListenSession {
  schema: string;
  pid: number;
  channel: string;
}

/**
 * The first steps of a LISTEN connection, shared by the change listener (store/pg-change-listener.ts) and the
 * realtime bus (realtime/pg-realtime-bus.ts): connect, learn the session's schema and backend pid, LISTEN on the
 * channel `channelOf` names for that schema (called before LISTEN, so a caller can record it). A failure goes to `fail` (the caller closes the client and schedules its reconnect);
 * a connection made after the caller closed is ended. Either way the answer is undefined.
 */
export async function listen(
  client: pg.Client,
  channelOf: (schema: string) => string,
  fail: (err: unknown) => void,
  isClosed: () => boolean,
): Promise<ListenSession | undefined> {
  let session: ListenSession;
  try {
    await client.connect();
    const result = await client.query<{ schema: string | null; pid: number }>("select current_schema() as schema, pg_backend_pid() as pid");
    const schema = result.rows[0]?.schema ?? "public";
    const channel = channelOf(schema);
    await client.query(`LISTEN ${channel}`);
    session = { schema, pid: result.rows[0]?.pid ?? 0, channel };
  } catch (err) {
    fail(err);
    return undefined;
  }
  if (isClosed()) {
    await client.end().catch(() => undefined);
    return undefined;
  }
  return session;
}
