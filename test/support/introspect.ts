import { signedFetch } from "./signed-fetch.js";
import type { TestServer } from "./test-server.js";

/** POST /tokens/:introspect on a test server, signed with its current primary key. */
export async function introspect(
  srv: TestServer,
  token: string,
  options: { base?: string; date?: Date } = {},
): Promise<{ active: boolean; [k: string]: unknown }> {
  const res = await signedFetch(`${options.base ?? srv.httpUrl}/tokens/:introspect?api-version=2025-06-30`, {
    method: "POST",
    ...(options.date !== undefined ? { date: options.date } : {}),
    accessKey: srv.currentResource().keys.primary.value,
    body: { token },
  });
  if (res.status !== 200) throw new Error(`introspect: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
