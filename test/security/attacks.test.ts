import { createHmac, generateKeyPairSync } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../src/auth/hmac/hmac-signature.js";
import type { Resource } from "../../src/resources/resource.js";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import type { TestServer } from "../support/test-server.js";
import { createSp, runCli, type CreatedSp } from "../entra/entra-support.js";
import { requestWithHost } from "../messaging/helpers.js";
import { accessKey, API, CHAT_API, newUser, rawRequest, startServer } from "./support.js";

/**
 * The attack suite: one test per class of attack that is refused today, so a regression fails CI. Each runs on both
 * backends. SECURITY.md lists the classes and where the rest of them (flaws 1–11) are tested.
 */
const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
const parts = (token: string) => {
  const [h, p, s] = token.split(".");
  return { header: JSON.parse(Buffer.from(h!, "base64url").toString()), payload: JSON.parse(Buffer.from(p!, "base64url").toString()), h: h!, p: p!, s: s! };
};
const unsigned = (header: object, payload: object, signature = "") => `${b64(header)}.${b64(payload)}.${signature}`;
const hs256 = (header: object, payload: object, secret: Buffer | string) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
};

describe.each(backendNames)("attack suite (%s)", (backend) => {
  let srv: TestServer;
  let other: Resource;
  let port: number;
  let sp: CreatedSp;
  let entraToken: string;

  const chatWith = (token: string, path = `/chat/threads?${CHAT_API}`) => rawRequest(`${srv.httpsUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const createWith = (token: string) => rawRequest(`${srv.httpsUrl}/identities?${API}`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
  const refused = async (res: Promise<{ status: number; body: any }>, status = 401) => {
    const r = await res;
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(typeof r.body?.error?.code).toBe("string");
    return r.body.error.code as string;
  };

  beforeAll(async () => {
    srv = await startServer(backend, { config: { calling: { authTimeoutMs: 300 } } });
    port = Number(new URL(srv.httpUrl).port);
    other = await srv.server.core.resources.create(`other-${backend}`, ["other.localhost"]);
    await srv.server.core.registry.settled();
    sp = await createSp(srv, "attack-suite-app");
    await runCli(srv, ["role", "assign", "--principal", sp.clientId, "--role", "Contributor"]);
    const res = await rawRequest(`${srv.httpsUrl}/${sp.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: sp.clientId, client_secret: sp.clientSecret!, scope: "https://communication.azure.com//.default" }).toString(),
    });
    entraToken = res.body.access_token;
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("user-token forgeries: alg none, HS/ES confusion, kid/jku/jwk/x5c injection, r=s=0, tampered payloads", async () => {
    const { token } = await newUser(srv, ["chat"]);
    expect((await chatWith(token)).status).toBe(200);
    const t = parts(token);
    const jwks = (await rawRequest(`${srv.httpsUrl}/.well-known/jwks.json`)).body.keys as Array<Record<string, string>>;
    const attacker = await generateKeyPair("ES256");
    const forged = [
      unsigned({ ...t.header, alg: "none" }, t.payload),
      unsigned({ alg: "none" }, t.payload, t.s),
      hs256({ ...t.header, alg: "HS256" }, t.payload, JSON.stringify(jwks[0])),
      hs256({ ...t.header, alg: "HS256" }, t.payload, Buffer.from(jwks[0]!.x!, "base64url")),
      hs256({ ...t.header, alg: "HS256" }, t.payload, ""),
      unsigned({ ...t.header, kid: "../../../../dev/null" }, t.payload, t.s),
      unsigned({ ...t.header, kid: "' OR '1'='1" }, t.payload, t.s),
      await new SignJWT(t.payload).setProtectedHeader({ ...t.header, jwk: await exportJWK(attacker.publicKey) }).sign(attacker.privateKey),
      await new SignJWT(t.payload).setProtectedHeader({ ...t.header, jku: "https://attacker.example/jwks.json" }).sign(attacker.privateKey),
      await new SignJWT(t.payload).setProtectedHeader({ ...t.header, x5c: ["MIIBszCCAVmgAwIBAgIU"] }).sign(attacker.privateKey),
      await new SignJWT(t.payload).setProtectedHeader({ ...t.header, kid: "attacker" }).sign(attacker.privateKey),
      `${t.h}.${t.p}.${Buffer.alloc(64).toString("base64url")}`, // r = s = 0
      `${t.h}.${b64({ ...t.payload, scope: "chat voip" })}.${t.s}`,
      `${t.h}.${b64({ ...t.payload, exp: t.payload.exp + 86_400 })}.${t.s}`,
      `${t.h}.${b64({ ...t.payload, resourceId: other.id })}.${t.s}`,
      `${t.h}.${t.p}.${t.s.slice(0, -2)}`,
      `${t.h}.${t.p}`,
      `${t.h}..${t.s}`,
    ];
    for (const f of forged) await refused(chatWith(f));
  });

  it("revoked and deleted user credentials are refused", async () => {
    const user = await newUser(srv, ["chat"]);
    expect((await chatWith(user.token)).status).toBe(200);
    const id = encodeURIComponent(user.id);
    expect((await signedFetch(`${srv.httpUrl}/identities/${id}/:revokeAccessTokens?${API}`, { method: "POST", accessKey: accessKey(srv) })).status).toBe(204);
    expect(await refused(chatWith(user.token))).toBe("TokenRevoked");
    const second = await newUser(srv, ["chat"]);
    expect((await signedFetch(`${srv.httpUrl}/identities/${encodeURIComponent(second.id)}?${API}`, { method: "DELETE", accessKey: accessKey(srv) })).status).toBe(204);
    expect(await refused(chatWith(second.token))).toMatch(/IdentityDeleted|TokenRevoked/);
  });

  it("Entra token forgeries: alg none, HS/RS confusion with the published key, jwk/jku/x5c, r=s=0, tampered payloads", async () => {
    expect((await createWith(entraToken)).status).toBe(201);
    const t = parts(entraToken);
    const jwks = (await rawRequest(`${srv.httpsUrl}/${sp.tenantId}/discovery/v2.0/keys`)).body.keys as Array<Record<string, string>>;
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const ec = await generateKeyPair("ES256");
    const publicPem = (await import("node:crypto")).createPublicKey({ key: jwks[0] as never, format: "jwk" }).export({ type: "spki", format: "pem" });
    const forged = [
      unsigned({ ...t.header, alg: "none" }, t.payload),
      hs256({ ...t.header, alg: "HS256" }, t.payload, publicPem),
      hs256({ ...t.header, alg: "HS256" }, t.payload, JSON.stringify(jwks[0])),
      await new SignJWT(t.payload).setProtectedHeader({ ...t.header, jwk: await exportJWK(rsa.publicKey) }).sign(rsa.privateKey),
      await new SignJWT(t.payload).setProtectedHeader({ ...t.header, jku: "https://attacker.example/keys" }).sign(rsa.privateKey),
      await new SignJWT(t.payload).setProtectedHeader({ ...t.header, x5c: ["MIIBszCCAVmgAwIBAgIU"] }).sign(rsa.privateKey),
      await new SignJWT(t.payload).setProtectedHeader({ alg: "ES256", kid: t.header.kid }).sign(ec.privateKey),
      unsigned({ alg: "ES256", kid: t.header.kid }, t.payload, Buffer.alloc(64).toString("base64url")), // r = s = 0
      `${t.h}.${b64({ ...t.payload, oid: "00000000-0000-4000-8000-000000000000" })}.${t.s}`,
      `${t.h}.${b64({ ...t.payload, roles: ["Owner"] })}.${t.s}`,
      `${t.h}.${b64({ ...t.payload, aud: "https://management.azure.com" })}.${t.s}`,
    ];
    for (const f of forged) await refused(createWith(f));
    // A user token of the data plane is not an Entra token.
    const { token } = await newUser(srv, ["chat"]);
    await refused(createWith(token));
  });

  it("deleted and disabled Entra principals lose their tokens at once", async () => {
    const app = await createSp(srv, "attack-disabled");
    await runCli(srv, ["role", "assign", "--principal", app.clientId, "--role", "Contributor"]);
    const res = await rawRequest(`${srv.httpsUrl}/${app.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret!, scope: "https://communication.azure.com//.default" }).toString(),
    });
    const token = res.body.access_token as string;
    expect((await createWith(token)).status).toBe(201);
    await runCli(srv, ["sp", "disable", app.clientId]);
    await expect.poll(async () => (await createWith(token)).body?.error?.code, { timeout: 5000 }).toBe("PrincipalDisabled");
    await runCli(srv, ["sp", "delete", app.clientId]);
    await expect.poll(async () => (await createWith(token)).body?.error?.code, { timeout: 5000 }).toBe("PrincipalNotFound");
  });

  it("HMAC tampering of every signed part is refused", async () => {
    const url = new URL(`${srv.httpUrl}/identities?${API}`);
    const body = JSON.stringify({ createTokenWithScopes: ["chat"] });
    const good = signRequest({ method: "POST", url, body, accessKey: accessKey(srv) });
    const send = (opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string }) =>
      rawRequest(`${srv.httpUrl}${opts.path ?? `${url.pathname}${url.search}`}`, {
        method: opts.method ?? "POST",
        headers: { "content-type": "application/json", ...good, ...opts.headers },
        body: opts.body ?? body,
      });
    expect((await send({})).status).toBe(201);
    const sig = /Signature=(.+)$/.exec(good.authorization!)![1]!;
    const flipped = sig[0] === "A" ? `B${sig.slice(1)}` : `A${sig.slice(1)}`;
    // The method: a GET's signature does not release a number with DELETE.
    const numberPath = `/phoneNumbers/${encodeURIComponent("+18005550199")}?api-version=2025-04-01`;
    const getSig = signRequest({ method: "GET", url: new URL(`${srv.httpUrl}${numberPath}`), body: "", accessKey: accessKey(srv) });
    await refused(rawRequest(`${srv.httpUrl}${numberPath}`, { method: "DELETE", headers: getSig }));
    const cases = [
      send({ path: `/identities?api-version=2021-03-07` }),
      send({ path: `/identities?${API}&extra=1` }),
      send({ headers: { "x-ms-date": new Date(Date.now() - 60_000).toUTCString() } }),
      send({ headers: { "x-ms-date": new Date(Date.now() - 16 * 60_000).toUTCString() } }),
      send({ headers: { host: "other.localhost" } }),
      send({ body: JSON.stringify({ createTokenWithScopes: ["voip"] }) }),
      send({ headers: { "x-ms-content-sha256": Buffer.alloc(32).toString("base64") } }),
      send({ headers: { authorization: good.authorization!.replace(sig, flipped) } }),
      send({ headers: { authorization: good.authorization!.replace("x-ms-date;host;x-ms-content-sha256", "host;x-ms-date;x-ms-content-sha256") } }),
      send({ headers: { authorization: `HMAC-SHA256 Signature=${sig}` } }),
      send({ headers: { authorization: good.authorization!.replace("HMAC-SHA256", "HMAC-SHA1") } }),
    ];
    for (const c of cases) await refused(c);
  });

  it("isolation across resources: keys, tokens, identities and threads of one resource do not work on another", async () => {
    const mine = await newUser(srv, ["chat"]);
    // A's key on B's host; B's key on A's host.
    expect((await requestWithHost(port, "other.localhost", accessKey(srv), "POST", `/identities?${API}`)).body.error.code).toBe("InvalidSignature");
    expect((await requestWithHost(port, "127.0.0.1", other.keys.primary.value, "POST", `/identities?${API}`)).body.error.code).toBe("InvalidSignature");
    // B acting on A's identity: 401 IdentityNotOwned as ACS answers (decided from the id alone: no existence leak).
    const id = encodeURIComponent(mine.id);
    const foreign = await requestWithHost(port, "other.localhost", other.keys.primary.value, "POST", `/identities/${id}/:issueAccessToken?${API}`, '{"scopes":["chat"]}');
    expect(foreign.status).toBe(401);
    expect(foreign.body.error.code).toBe("IdentityNotOwned");
    // A's user token on B's host.
    const onB = await rawRequest(`${srv.httpsUrl}/chat/threads?${CHAT_API}`, { headers: { authorization: `Bearer ${mine.token}`, host: "other.localhost" }, servername: "localhost" });
    expect(onB.status).toBe(401);
    expect(onB.body.error.code).toBe("TokenResourceMismatch");
    // A thread of one user is invisible to another user of the same resource.
    const created = await rawRequest(`${srv.httpsUrl}/chat/threads?${CHAT_API}`, {
      method: "POST",
      headers: { authorization: `Bearer ${mine.token}`, "content-type": "application/json" },
      body: JSON.stringify({ topic: "private" }),
    });
    const stranger = await newUser(srv, ["chat"]);
    const peek = await chatWith(stranger.token, `/chat/threads/${encodeURIComponent(created.body.chatThread.id)}/messages?${CHAT_API}`);
    expect(peek.status).toBe(404);
  });

  it("scope escalation: a token or principal cannot do more than it was granted", async () => {
    const voip = await newUser(srv, ["voip"]);
    expect(await refused(chatWith(voip.token), 403)).toBe("InsufficientScope");
    const join = await newUser(srv, ["chat.join"]);
    const create = await rawRequest(`${srv.httpsUrl}/chat/threads?${CHAT_API}`, {
      method: "POST",
      headers: { authorization: `Bearer ${join.token}`, "content-type": "application/json" },
      body: JSON.stringify({ topic: "escalate" }),
    });
    expect(create.status).toBe(403);
    // An Entra principal with a read-only role cannot create identities; one without a role cannot do anything.
    const reader = await createSp(srv, "attack-reader");
    await runCli(srv, ["role", "assign", "--principal", reader.clientId, "--role", "Reader"]);
    const tokenFor = async (app: CreatedSp) =>
      (
        await rawRequest(`${srv.httpsUrl}/${app.tenantId}/oauth2/v2.0/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret!, scope: "https://communication.azure.com//.default" }).toString(),
        })
      ).body.access_token as string;
    expect(await refused(createWith(await tokenFor(reader)), 403)).toBe("AuthorizationFailed");
    const nobody = await createSp(srv, "attack-no-role");
    expect(await refused(createWith(await tokenFor(nobody)), 403)).toBe("AuthorizationFailed");
    // Asking the authority for a scope a client may not have.
    const bad = await rawRequest(`${srv.httpsUrl}/${sp.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: sp.clientId, client_secret: sp.clientSecret!, scope: "https://graph.microsoft.com/.default" }).toString(),
    });
    expect(bad.status).toBe(400);
  });

  it("WebSocket abuse: no auth, forged tokens, oversized, binary and flooding frames close the socket with a code", async () => {
    const { token } = await newUser(srv, ["voip"]);
    const session = async (act: (ws: WebSocket) => void) => {
      const ws = new WebSocket(`${srv.httpsUrl.replace("https:", "wss:")}/calling/signaling`, "switchboard.calling.v1");
      const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
      ws.on("error", () => undefined);
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      act(ws);
      const code = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
      ws.terminate();
      return code;
    };
    expect(await session(() => undefined)).toBe(4408); // silent: authentication timeout
    expect(await session((ws) => ws.send(JSON.stringify({ type: "auth", token: `${token}x`, requestId: "1" })))).toBe(4401);
    expect(await session((ws) => ws.send(JSON.stringify({ type: "hangUp", callId: "00000000-0000-4000-8000-000000000000", requestId: "1" })))).toBe(4401);
    expect(await session((ws) => ws.send(Buffer.alloc(70_000, 0x20)))).toBe(1009);
    expect(await session((ws) => ws.send(Buffer.from([1, 2, 3]), { binary: true }))).toBe(1003);
    expect(await session((ws) => ws.send("{not json"))).toBe(4400);
    expect(
      await session((ws) => {
        ws.send(JSON.stringify({ type: "auth", token, requestId: "a" }));
        for (let i = 0; i < 500; i++) ws.send(JSON.stringify({ type: "auth", token, requestId: String(i) }));
      }),
    ).toBe(4429);
    // The signaling path is not served on the plain HTTP listener.
    const plain = new WebSocket(`${srv.httpUrl.replace("http:", "ws:")}/calling/signaling`, "switchboard.calling.v1");
    const outcome = await new Promise<string>((resolve) => {
      plain.on("unexpected-response", (_req, res) => resolve(`http ${res.statusCode}`));
      plain.on("open", () => resolve("open"));
      plain.on("error", () => resolve("error"));
    });
    plain.terminate();
    expect(outcome).not.toBe("open");
    // The server is still fine.
    expect((await rawRequest(`${srv.httpsUrl}/health/ready`)).status).toBe(200);
  });
});
