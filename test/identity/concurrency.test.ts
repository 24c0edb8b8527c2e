import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

describe.each(backendNames)("200 concurrent createUserAndToken calls (%s)", (backend) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ backend });
  });
  afterAll(async () => {
    await srv.close();
  });

  it("all succeed with unique ids, all stored", async () => {
    const client = new CommunicationIdentityClient(srv.connectionString("https"));
    const results = await Promise.all(Array.from({ length: 200 }, () => client.createUserAndToken(["chat", "voip"])));
    const ids = new Set(results.map((r) => r.user.communicationUserId));
    expect(ids.size).toBe(200);
    expect(new Set(results.map((r) => r.token)).size).toBe(200);
    const stored = await srv.server.core.store.db
      .selectFrom("identities")
      .select("id")
      .where("id", "in", [...ids])
      .execute();
    expect(stored).toHaveLength(200);
  });
});
