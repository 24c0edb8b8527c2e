import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toAcsError } from "../../src/http/error-handler.js";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import type { TestServer } from "../support/test-server.js";
import { accessKey, API, CHAT_API, expectAcsError, newUser, rawRequest, startServer } from "./support.js";

/**
 * Flaw 10: NUL and text without a UTF-8 form are refused at the edge with 400 on both backends (PostgreSQL used to
 * answer 500 where SQLite stored them); a data error the database still raises is a 400, never a 500.
 */
describe.each(backendNames)("strings that reach the store (%s)", (backend) => {
  let srv: TestServer;
  let user: { id: string; token: string };
  let threadId: string;
  const bearer = () => ({ authorization: `Bearer ${user.token}`, "content-type": "application/json" });
  const chat = (method: string, path: string, body?: string | Buffer) =>
    rawRequest(`${srv.httpsUrl}${path}${path.includes("?") ? "&" : "?"}${CHAT_API}`, { method, headers: bearer(), ...(body !== undefined ? { body } : {}) });

  beforeAll(async () => {
    srv = await startServer(backend);
    user = await newUser(srv, ["chat"]);
    const created = await chat("POST", "/chat/threads", JSON.stringify({ topic: "text" }));
    expect(created.status).toBe(201);
    threadId = created.body.chatThread.id;
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("GET /activity with NUL in any query parameter is a 400", async () => {
    const variants = [
      `identity=%00`,
      `identity=8:acs:%00`,
      `identity=${encodeURIComponent(user.id)}%00`,
      `identity=${encodeURIComponent(user.id)}&operation=chat.%00`,
      `identity=${encodeURIComponent(user.id)}&from=2026-01-01T00:00:00Z%00`,
      `identity=${encodeURIComponent(user.id)}&continuationToken=%00`,
      `identity=%00%00%00`,
      `identity=a%00b`,
    ];
    for (const q of variants) {
      const res = await signedFetch(`${srv.httpUrl}/activity?${q}&api-version=2025-01-01`, { accessKey: accessKey(srv) });
      expect(res.status, q).toBe(400);
      expect(res.body.error.code, q).toMatch(/^(InvalidCharacter|InvalidQueryParameter)$/);
    }
  });

  it("participants:add with NUL or lone surrogates in ids, names or metadata is a 400", async () => {
    const path = `/chat/threads/${encodeURIComponent(threadId)}/participants/:add`;
    const bodies = [
      { participants: [{ communicationIdentifier: { rawId: `${user.id}\u0000`, communicationUser: { id: `${user.id}\u0000` } } }] },
      { participants: [{ communicationIdentifier: { rawId: user.id, communicationUser: { id: user.id } }, displayName: "a\u0000b" }] },
      { participants: [{ communicationIdentifier: { rawId: user.id, communicationUser: { id: user.id } }, metadata: { k: "\u0000" } }] },
      { participants: [{ communicationIdentifier: { rawId: user.id, communicationUser: { id: user.id } }, metadata: { "\u0000": "v" } }] },
    ];
    for (const b of bodies) expectAcsError(await chat("POST", path, JSON.stringify(b)), 400, "InvalidCharacter");
    // A lone surrogate written as a JSON escape.
    const lone = `{"participants":[{"communicationIdentifier":{"rawId":"${user.id}","communicationUser":{"id":"${user.id}"}},"displayName":"\\ud800"}]}`;
    expectAcsError(await chat("POST", path, lone), 400, "InvalidCharacter");
    // Bytes that are not UTF-8.
    const invalid = Buffer.concat([Buffer.from('{"topic":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    expectAcsError(await chat("PATCH", `/chat/threads/${encodeURIComponent(threadId)}`, invalid), 400, "InvalidCharacter");
  });

  it("topics, messages and path ids with NUL are 400s", async () => {
    expectAcsError(await chat("POST", "/chat/threads", JSON.stringify({ topic: "t\u0000" })), 400, "InvalidCharacter");
    expectAcsError(await chat("POST", `/chat/threads/${encodeURIComponent(threadId)}/messages`, JSON.stringify({ content: "x\u0000" })), 400, "InvalidCharacter");
    expectAcsError(await chat("GET", `/chat/threads/${encodeURIComponent(threadId)}%00/messages`), 400);
    const del = await signedFetch(`${srv.httpUrl}/identities/${encodeURIComponent(`${user.id}\u0000`)}?${API}`, { method: "DELETE", accessKey: accessKey(srv) });
    expect(del.status).toBe(400);
    // Ordinary text, including non-ASCII and astral characters, is stored as sent.
    const ok = await chat("POST", `/chat/threads/${encodeURIComponent(threadId)}/messages`, JSON.stringify({ content: "héllo 🎉 ✓" }));
    expect(ok.status).toBe(201);
  });
});

describe("database data errors", () => {
  it("are 400 UnstorableValue, not 500", () => {
    for (const code of ["22021", "22P05", "22001", "22003", "54000"]) {
      const err = Object.assign(new Error("invalid byte sequence"), { code, severity: "ERROR" });
      expect(toAcsError(err)).toMatchObject({ status: 400, code: "UnstorableValue" });
    }
    expect(toAcsError(Object.assign(new Error("x"), { code: "42P01", severity: "ERROR" })).status).toBe(500);
  });
});
