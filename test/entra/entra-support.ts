import type { CommunicationIdentityClient } from "@azure/communication-identity";
import { expect } from "vitest";
import { runCliInProcess } from "../support/cli.js";
import type { TestServer } from "../support/test-server.js";
import type { SpCreateOutput } from "../../src/cli/sp-command.js";

export const ACS_SCOPE = "https://communication.azure.com//.default";

/**
 * Runs `switchboard <args>` in this process against the test server's store, as a separate Core (its own store
 * connection and change feed): exactly what an operator's CLI process does beside a running server. Fails when the
 * command exits non-zero.
 */
export async function runCli(srv: TestServer, args: string[]): Promise<string> {
  const store = ["--data-dir", srv.dataDir];
  const url = srv.server.core.config.databaseUrl;
  if (url !== undefined) store.push("--database-url", url);
  const res = await runCliInProcess([...args, ...store]);
  if (res.code !== 0) throw new Error(`switchboard ${args.join(" ")} exited ${res.code}: ${res.stderr.trim()}`);
  return res.stdout;
}

/** What `sp create --json` prints: the CLI's own output type. */
export type CreatedSp = SpCreateOutput;

export async function createSp(srv: TestServer, name: string, extra: string[] = []): Promise<CreatedSp> {
  return JSON.parse(await runCli(srv, ["sp", "create", "--name", name, "--json", ...extra])) as CreatedSp;
}

/** Waits until `check` passes or `ms` elapse; returns the elapsed milliseconds. */
export async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function decodeClaims(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, any>;
}

/**
 * Every Identity operation through `client`, each one checked by its effect: the user exists under this resource,
 * the tokens carry the asked scope, revocation makes the issued token fail the server's own check, and a deleted
 * user has no token to get.
 */
export async function driveIdentityApi(srv: TestServer, client: CommunicationIdentityClient): Promise<void> {
  const user = await client.createUser();
  expect(user.communicationUserId).toMatch(new RegExp(`^8:acs:${srv.resource.id}_`));
  const withToken = await client.createUserAndToken(["chat"]);
  expect(decodeClaims(withToken.token).sub).toBe(withToken.user.communicationUserId);
  const issued = await client.getToken(user, ["voip"], { tokenExpiresInMinutes: 60 });
  expect(decodeClaims(issued.token)).toMatchObject({ sub: user.communicationUserId, scope: "voip" });
  const check = () => srv.server.core.userTokens.check(issued.token, srv.currentResource());
  expect(await check()).toMatchObject({ ok: true });
  await client.revokeTokens(user);
  expect(await check()).toMatchObject({ ok: false, code: "TokenRevoked" });
  await client.deleteUser(user);
  await expect(client.getToken(user, ["chat"])).rejects.toMatchObject({ statusCode: 404, code: "IdentityNotFound" });
}
