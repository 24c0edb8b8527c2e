import { readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { identityClient, startChildServer } from "../scale/child-server.js";

const KEYS = { primaryKey: Buffer.alloc(32, 1).toString("base64"), secondaryKey: Buffer.alloc(32, 2).toString("base64") };

/** The threads of a `switchboard start` process once it has signed a user token on libuv's pool (every pool thread is up). */
async function threadsAfterAToken(env: Record<string, string>): Promise<number> {
  const srv = await startChildServer({ ...KEYS, env });
  try {
    expect((await identityClient(srv.httpUrl, KEYS.primaryKey).createWithToken()).status).toBe(201);
    return readdirSync(`/proc/${srv.pid}/task`).length;
  } finally {
    await srv.stop();
  }
}

describe.runIf(process.platform === "linux")("the binary's libuv thread pool", () => {
  it("has one thread per core (at least 2) instead of libuv's 4, unless the operator set UV_THREADPOOL_SIZE", async () => {
    const perCore = Math.max(2, availableParallelism());
    const byDefault = await threadsAfterAToken({});
    // The same process with the size given explicitly: the same threads.
    expect(byDefault).toBe(await threadsAfterAToken({ UV_THREADPOOL_SIZE: String(perCore) }));
    // An operator's size wins: libuv's old default runs 4 − perCore threads more (fewer on a machine of more cores).
    expect((await threadsAfterAToken({ UV_THREADPOOL_SIZE: "4" })) - byDefault).toBe(4 - perCore);
    expect((await threadsAfterAToken({ UV_THREADPOOL_SIZE: String(perCore + 3) })) - byDefault).toBe(3);
  }, 60_000);
});
