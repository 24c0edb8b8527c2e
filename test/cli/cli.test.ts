import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, runCliInProcess, startCliServer, type CliServer } from "../support/cli.js";
import { signedFetch } from "../support/signed-fetch.js";

// The server runs as the built binary (`start` is the smoke test of the real entry point); the other commands run
// in this process through the same entry function, except one that checks the binary's exit code and stderr.
const dataDir = mkdtempSync(path.join(tmpdir(), "switchboard-cli-"));
const withDir = (...args: string[]) => [...args, "--data-dir", dataDir];
let server: CliServer;

async function introspectOn(base: string, key: string, token: string) {
  const res = await signedFetch(`${base}/tokens/:introspect?api-version=1`, { method: "POST", accessKey: key, body: { token } });
  return res.body as { active: boolean };
}

/** Polls until `check` is true; returns the elapsed milliseconds (fails after `limitMs`). */
async function timeUntil(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > limitMs) throw new Error(`not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

beforeAll(async () => {
  server = await startCliServer(["--data-dir", dataDir]);
});
afterAll(async () => {
  await server.stop();
});

describe("switchboard start", () => {
  it("prints both connection strings, the certificate path and the NODE_EXTRA_CA_CERTS hint", () => {
    expect(server.banner).toMatch(/primary\s+\(HTTPS\): endpoint=https:\/\/127\.0\.0\.1:\d+\/;accesskey=[A-Za-z0-9+/]{43}=/);
    expect(server.banner).toMatch(/primary\s+\(HTTP\):\s+endpoint=http:\/\/127\.0\.0\.1:\d+\/;accesskey=/);
    expect(server.banner).toContain(`export NODE_EXTRA_CA_CERTS=${path.join(dataDir, "tls", "cert.pem")}`);
    expect(existsSync(path.join(dataDir, "tls", "cert.pem"))).toBe(true);
    expect(existsSync(path.join(dataDir, "tls", "key.pem"))).toBe(true);
  });

  it("the official SDK in another process trusts the generated certificate through NODE_EXTRA_CA_CERTS", async () => {
    const keys = JSON.parse((await runCliInProcess(withDir("keys", "list", "--json"))).stdout);
    const script = path.join(dataDir, "sdk-probe.cjs");
    writeFileSync(
      script,
      `const { CommunicationIdentityClient } = require(${JSON.stringify(path.resolve("node_modules/@azure/communication-identity"))});
new CommunicationIdentityClient(process.argv[2], { retryOptions: { maxRetries: 0 } })
  .createUserAndToken(["chat"])
  .then((r) => console.log(r.user.communicationUserId), (e) => { console.error(e.message); process.exit(1); });`,
    );
    const cs = `endpoint=${server.httpsUrl}/;accesskey=${keys.primaryKey}`;
    const run = (env: NodeJS.ProcessEnv) =>
      new Promise<{ code: number; out: string }>((resolve) =>
        execFile(process.execPath, [script, cs], { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
          resolve({ code: err === null ? 0 : 1, out: stdout + stderr }),
        ),
      );
    const trusted = await run({ NODE_EXTRA_CA_CERTS: path.join(dataDir, "tls", "cert.pem") });
    expect(trusted.out).toMatch(/^8:acs:/);
    const untrusted = await run({ NODE_EXTRA_CA_CERTS: "" });
    expect(untrusted.code).toBe(1);
    expect(untrusted.out).toMatch(/self[- ]signed|SELF_SIGNED/i);
  });

  it("reuses the certificate on the next start", async () => {
    const { readFileSync } = await import("node:fs");
    const before = readFileSync(path.join(dataDir, "tls", "cert.pem"), "utf8");
    const other = await startCliServer(["--data-dir", dataDir]);
    // SIGTERM is a graceful shutdown: exit code 0.
    expect(await other.stop("SIGTERM")).toBe(0);
    expect(readFileSync(path.join(dataDir, "tls", "cert.pem"), "utf8")).toBe(before);
  });
});

describe("switchboard keys", () => {
  it("keys list --json gives the documented object", async () => {
    const res = await runCliInProcess(withDir("keys", "list", "--json"));
    expect(res.code).toBe(0);
    const keys = JSON.parse(res.stdout);
    expect(Object.keys(keys).sort()).toEqual(
      ["endpoint", "primaryConnectionString", "primaryKey", "resource", "resourceId", "secondaryConnectionString", "secondaryKey"].sort(),
    );
    expect(keys.primaryConnectionString).toBe(`endpoint=${keys.endpoint};accesskey=${keys.primaryKey}`);
    expect(keys.resource).toBe("dev");
  });

  it("keys regenerate --primary takes effect on the running server within one second", async () => {
    const old = JSON.parse((await runCliInProcess(withDir("keys", "list", "--json"))).stdout);
    const url = `${server.httpUrl}/identities?api-version=2023-10-01`;
    expect((await signedFetch(url, { method: "POST", accessKey: old.primaryKey })).status).toBe(201);
    const res = await runCliInProcess(withDir("keys", "regenerate", "--primary", "--json"));
    expect(res.code).toBe(0);
    const regenerated = JSON.parse(res.stdout);
    expect(regenerated.value).not.toBe(old.primaryKey);
    const elapsed = await timeUntil(async () => (await signedFetch(url, { method: "POST", accessKey: old.primaryKey })).status === 401, 1000);
    process.stdout.write(`key regeneration reached the running server in ${elapsed} ms\n`);
    expect((await signedFetch(url, { method: "POST", accessKey: regenerated.value })).status).toBe(201);
    expect((await signedFetch(url, { method: "POST", accessKey: old.secondaryKey })).status).toBe(201);
  });

  it("keys regenerate without --primary/--secondary fails with one line (the built binary: exit code, one stderr line)", async () => {
    const res = await runCli(withDir("keys", "regenerate"));
    expect(res.code).not.toBe(0);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(res.stderr).toMatch(/^switchboard: give exactly one of --primary or --secondary/);
  });
});

describe("switchboard identity and signing-keys", () => {
  it("create, token, revoke and delete act on the running server's store", async () => {
    const key = JSON.parse((await runCliInProcess(withDir("keys", "list", "--json"))).stdout).secondaryKey;
    const created = JSON.parse((await runCliInProcess(withDir("identity", "create", "--scopes", "chat,voip", "--json"))).stdout);
    expect(created.id).toMatch(/^8:acs:/);
    expect((await introspectOn(server.httpUrl, key, created.token)).active).toBe(true);
    const issued = JSON.parse((await runCliInProcess(withDir("identity", "token", created.id, "--scopes", "chat", "--expires-in", "60", "--json"))).stdout);
    expect((await introspectOn(server.httpUrl, key, issued.token)).active).toBe(true);
    expect((await runCliInProcess(withDir("identity", "revoke", created.id))).code).toBe(0);
    await timeUntil(async () => !(await introspectOn(server.httpUrl, key, issued.token)).active, 1000);
    const after = JSON.parse((await runCliInProcess(withDir("identity", "token", created.id, "--scopes", "chat", "--json"))).stdout);
    expect((await introspectOn(server.httpUrl, key, after.token)).active).toBe(true);
    expect((await runCliInProcess(withDir("identity", "delete", created.id))).code).toBe(0);
    await timeUntil(async () => !(await introspectOn(server.httpUrl, key, after.token)).active, 1000);

    // Each command is in the identity's activity record, newest first, with the operator as the principal (the
    // running server files its introspections there too, from another process).
    const events = JSON.parse((await runCliInProcess(withDir("activity", "--identity", created.id, "--json"))).stdout) as Array<Record<string, any>>;
    const byCli = events.filter((e) => e.principal === "operator:cli");
    expect(byCli.map((e) => e.operation)).toEqual([
      "identity.delete",
      "identity.issueAccessToken",
      "identity.revokeAccessTokens",
      "identity.issueAccessToken",
      "identity.create",
    ]);
    expect(byCli[1]!.fields).toEqual({ scopes: ["chat"], expiresOn: after.expiresOn });
    expect(byCli[4]!.fields).toEqual({ scopes: ["chat", "voip"], expiresOn: created.expiresOn });
    expect(JSON.stringify(events)).not.toContain(after.token);
  });

  it("identity errors exit non-zero with one clear line", async () => {
    for (const args of [
      ["identity", "token", "not-an-id", "--scopes", "chat"],
      ["identity", "create", "--scopes", "bogus"],
      ["identity", "create", "--scopes", "chat", "--expires-in", "5"],
      ["identity", "delete", "8:acs:00000000-0000-4000-8000-000000000000_00000000-0000-4000-8000-000000000000"],
    ]) {
      const res = await runCliInProcess(withDir(...args));
      expect(res.code, args.join(" ")).toBe(1);
      expect(res.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(res.stderr).toMatch(/^switchboard: (InvalidIdentifier|InvalidScope|InvalidTokenLifetime|IdentityNotOwned): /);
    }
  });

  it("signing-keys rotate: the running server publishes both keys and signs with the new one", async () => {
    const before = JSON.parse((await runCliInProcess(withDir("signing-keys", "list", "--json"))).stdout);
    const res = await runCliInProcess(withDir("signing-keys", "rotate"));
    expect(res.code).toBe(0);
    const after = JSON.parse((await runCliInProcess(withDir("signing-keys", "list", "--json"))).stdout);
    expect(after.active).not.toBe(before.active);
    await timeUntil(async () => {
      const jwks = (await (await fetch(`${server.httpUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
      return jwks.keys.some((k: { kid: string }) => k.kid === after.active) && jwks.keys.some((k: { kid: string }) => k.kid === before.active);
    }, 1000);
  });

  it("every command has --help, and bad config is reported at once", async () => {
    for (const args of [["--help"], ["start", "--help"], ["keys", "list", "--help"], ["identity", "create", "--help"], ["signing-keys", "rotate", "--help"]]) {
      const res = await runCliInProcess(args);
      expect(res.code, args.join(" ")).toBe(0);
      expect(res.stdout).toContain("Usage: switchboard");
    }
    const bad = await runCliInProcess(["keys", "list", "--data-dir", dataDir], { SWITCHBOARD_PRIMARY_KEY: "short", SWITCHBOARD_PORT: "99999" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("resource.primaryKey");
    expect(bad.stderr).toContain("port");
  });
});
