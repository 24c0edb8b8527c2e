import { CommunicationIdentityClient } from "@azure/communication-identity";
import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { apiVersions, checkApiVersion, isWellFormedApiVersion } from "../../src/http/api-versions.js";
import { signedFetch } from "../support/signed-fetch.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

describe("api-version syntax", () => {
  it("accepts dates with Azure pre-release labels and refuses everything else", () => {
    for (const v of ["2025-06-30", "2025-03-02-preview", "2022-01-11-preview2", "2099-01-01", "2024-02-29"]) expect(isWellFormedApiVersion(v), v).toBe(true);
    for (const v of ["latest", "2025-06-30x", "2025-6-30", "2025-13-01", "2023-02-29", "1", "", "2025-06-30-", "2025-06-30-nightly"]) {
      expect(isWellFormedApiVersion(v), v).toBe(false);
    }
  });

  it("checks every repeated value; unknown dates are warned, or refused when strict", () => {
    expect(checkApiVersion("identity", ["2023-10-01", "2023-10-01"], true)).toEqual({ kind: "known" });
    expect(checkApiVersion("identity", ["2023-10-01", "2099-01-01"], false)).toMatchObject({ kind: "unknown" });
    expect(() => checkApiVersion("identity", ["2023-10-01", "latest"], false)).toThrow(/'latest' is not a valid api-version/);
    expect(() => checkApiVersion("sms", ["2099-01-01"], true)).toThrow(/strict api-versions.*2021-03-07, 2026-01-23/);
  });
});

describe("api-versions against the official SDKs", () => {
  let srv: TestServer;
  let strict: TestServer;
  beforeAll(async () => {
    [srv, strict] = await Promise.all([startTestServer(), startTestServer({ config: { strictApiVersions: true } })]);
  });
  afterAll(async () => {
    await Promise.all([srv?.close(), strict?.close()]);
  });

  it("a malformed api-version is 400 UnsupportedApiVersion listing the API's supported versions", async () => {
    for (const apiVersion of ["latest", "2025-06-30x"]) {
      const client = new CommunicationIdentityClient(srv.connectionString(), { apiVersion } as never);
      const err = await client.createUser().catch((e: unknown) => e as { statusCode: number; code: string; message: string });
      expect(err).toMatchObject({ statusCode: 400, code: "UnsupportedApiVersion" });
      expect((err as { message: string }).message).toContain(`'${apiVersion}'`);
      expect((err as { message: string }).message).toContain(apiVersions.identity.join(", "));
    }
  });

  it("chat, as a user-token API, has its own list", async () => {
    const identity = new CommunicationIdentityClient(srv.connectionString());
    const { token } = await identity.createUserAndToken(["chat"]);
    const chat = new ChatClient(srv.httpsUrl, new AzureCommunicationTokenCredential(token), { apiVersion: "latest" } as never);
    const err = (await chat.createChatThread({ topic: "t" }).catch((e: unknown) => e)) as { statusCode: number; message: string };
    expect(err).toMatchObject({ statusCode: 400, code: "UnsupportedApiVersion" });
    expect(err.message).toContain(apiVersions.chat.join(", "));
  });

  it("a well-formed unknown date works by default, with a warning header and a log line", async () => {
    const client = new CommunicationIdentityClient(srv.connectionString(), { apiVersion: "2099-01-01" } as never);
    const user = await client.createUser();
    expect(user.communicationUserId).toMatch(/^8:acs:/);
    const res = await signedFetch(`${srv.httpUrl}/identities?api-version=2099-01-01`, { method: "POST", accessKey: srv.resource.keys.primary.value });
    expect(res.status).toBe(201);
    expect(res.headers.get("warning")).toMatch(/^299 switchboard "api-version '2099-01-01' is not known to Switchboard/);
    const lines = () => srv.readLog().trim().split("\n").map((l) => JSON.parse(l) as { op?: string; warning?: string });
    // A line is written when its response has finished, which the client can see first.
    await vi.waitFor(() => expect(lines().filter((l) => l.op === "identity.create" && l.warning?.includes("'2099-01-01'")).length).toBeGreaterThanOrEqual(2));
    const known = await signedFetch(`${srv.httpUrl}/identities?api-version=2023-10-01`, { method: "POST", accessKey: srv.resource.keys.primary.value });
    expect(known.headers.get("warning")).toBeNull();
  });

  it("--strict-api-versions refuses unknown dates too, and still serves every known version", async () => {
    const client = new CommunicationIdentityClient(strict.connectionString(), { apiVersion: "2099-01-01" } as never);
    const err = (await client.createUser().catch((e: unknown) => e)) as { statusCode: number; code: string; message: string };
    expect(err).toMatchObject({ statusCode: 400, code: "UnsupportedApiVersion" });
    expect(err.message).toContain("strict api-versions");
    for (const apiVersion of apiVersions.identity.filter((v) => !v.includes("preview"))) {
      const ok = new CommunicationIdentityClient(strict.connectionString(), { apiVersion } as never);
      expect((await ok.createUser()).communicationUserId, apiVersion).toMatch(/^8:acs:/);
    }
  });
});
