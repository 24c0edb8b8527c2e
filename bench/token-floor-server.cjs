// The floor of the token path (bench/token-floor.mjs): a server that does for createUserAndToken and getToken only
// the work neither can do without, with nothing of Switchboard's: no log line, no metrics, no activity record, no
// quotas, no RBAC, no validation beyond parsing. What it does, it does as Switchboard does:
// - the HMAC check of docs/wire-reference.md (body hash, string-to-sign, constant-time compare);
// - createUserAndToken: a time-ordered id, the identity row inserted into the same table (same columns, primary key, foreign key and
//   index) by a group commit of one transaction per turn of the event loop, on synchronous=NORMAL with the WAL
//   fdatasynced on libuv's thread pool, one sync in flight and the batches committed meanwhile sharing the next one,
//   answered once durable (src/store/sqlite-group-commit.ts); the token signed while the insert commits;
// - getToken: the identity's state from an in-memory map (Switchboard's identity state cache, warm);
// - the token: an ES256 JWT with the same claims, signed on libuv's thread pool (src/keys/jws-signature.ts).
// Usage: node bench/token-floor-server.cjs <data dir> <port> <access key, base64> [raw|fastify]
"use strict";
const http = require("node:http");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const Database = require("better-sqlite3");

const [dataDir, portArg, accessKey, framework = "raw"] = process.argv.slice(2);
const hmacKey = crypto.createSecretKey(Buffer.from(accessKey, "base64"));
const RESOURCE = crypto.randomUUID();

const db = new Database(path.join(dataDir, "floor.db"));
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.pragma("foreign_keys = ON");
db.pragma("cache_size = -8192"); // Switchboard's default page cache (sqlite.cacheSizeKib)
db.exec(`
  CREATE TABLE IF NOT EXISTS resources (id TEXT PRIMARY KEY, created_at BIGINT NOT NULL);
  CREATE TABLE IF NOT EXISTS identities (id TEXT PRIMARY KEY, resource_id TEXT NOT NULL REFERENCES resources (id),
    created_at BIGINT NOT NULL, deleted_at BIGINT, token_generation INTEGER NOT NULL DEFAULT 0, revoked_at BIGINT);
  CREATE INDEX IF NOT EXISTS identities_resource_id_idx ON identities (resource_id, id);`);
db.prepare("INSERT INTO resources (id, created_at) VALUES (?, ?)").run(RESOURCE, Date.now());
const insertIdentity = db.prepare(
  "INSERT INTO identities (id, resource_id, created_at, deleted_at, token_generation, revoked_at) VALUES (?, ?, ?, NULL, 0, NULL)",
);
const begin = db.prepare("BEGIN IMMEDIATE");
const commit = db.prepare("COMMIT");
const walFd = fs.openSync(path.join(dataDir, "floor.db-wal"), "r+");

// ---- group commit ----
let batch = null;
let syncing = false;
let nextSync = null;
function syncWal(waiters) {
  if (syncing) {
    (nextSync ??= []).push(...waiters);
    return;
  }
  syncing = true;
  fs.fdatasync(walFd, (err) => {
    syncing = false;
    for (const done of waiters) done(err);
    if (nextSync !== null) {
      const queued = nextSync;
      nextSync = null;
      syncWal(queued);
    }
  });
}
function commitBatch() {
  const rows = batch;
  batch = null;
  begin.run();
  for (const row of rows) insertIdentity.run(row.id, RESOURCE, row.now);
  commit.run();
  syncWal(rows.map((row) => row.done));
}
function insertDurably(id, now) {
  if (batch === null) {
    batch = [];
    setImmediate(commitBatch);
  }
  return new Promise((resolve, reject) => batch.push({ id, now, done: (err) => (err ? reject(err) : resolve()) }));
}

// ---- tokens ----
const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
const signingKey = { key: privateKey, dsaEncoding: "ieee-p1363" };
const jwtHeader = Buffer.from(JSON.stringify({ alg: "ES256", typ: "JWT", kid: "floor" })).toString("base64url");
const states = new Map();
function issueToken(identity, scopes) {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + 24 * 3600;
  const claims = {
    iss: "https://switchboard.local/",
    sub: identity,
    skypeid: identity.slice(2),
    resourceId: RESOURCE,
    scope: scopes.join(" "),
    iat: now,
    nbf: now,
    exp,
    jti: crypto.randomUUID(),
    rgen: 0,
  };
  const input = `${jwtHeader}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
  return new Promise((resolve, reject) =>
    crypto.sign("sha256", Buffer.from(input), signingKey, (err, signature) =>
      err ? reject(err) : resolve({ token: `${input}.${signature.toString("base64url")}`, expiresOn: new Date(exp * 1000).toISOString() }),
    ),
  );
}

// ---- the two operations ----
function authorized(method, url, headers, body) {
  const hash = crypto.hash === undefined ? crypto.createHash("sha256").update(body).digest("base64") : crypto.hash("sha256", body, "base64");
  if (headers["x-ms-content-sha256"] !== hash) return false;
  const signature = /Signature=(.+)$/.exec(headers.authorization ?? "");
  if (signature === null) return false;
  const expected = crypto.createHmac("sha256", hmacKey).update(`${method}\n${url}\n${headers["x-ms-date"]};${headers.host};${hash}`).digest();
  const given = Buffer.from(signature[1], "base64");
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}
/** Time-ordered ids as Switchboard makes them (src/identity/identity-id.ts): inserts land at the index's right edge. */
function timeOrderedUuid(now) {
  const random = crypto.randomUUID();
  const ms = now.toString(16).padStart(12, "0").slice(-12);
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${random.slice(15)}`;
}
const TOKEN_PATH = /^\/identities\/([^/?]+)\/:issueAccessToken(?:\?|$)/;
async function handle(method, url, headers, body) {
  if (method !== "POST" || !authorized(method, url, headers, body)) return { status: 401, body: { error: { code: "Denied" } } };
  if (url.startsWith("/identities?")) {
    const { createTokenWithScopes } = JSON.parse(body);
    const now = Date.now();
    const id = `8:acs:${RESOURCE}_${timeOrderedUuid(now)}`;
    const [, accessToken] = await Promise.all([insertDurably(id, now), issueToken(id, createTokenWithScopes)]);
    states.set(id, { generation: 0, deleted: false });
    return { status: 201, body: { identity: { id }, accessToken } };
  }
  const match = TOKEN_PATH.exec(url);
  if (match === null) return { status: 404, body: { error: { code: "NotFound" } } };
  const id = decodeURIComponent(match[1]);
  const state = states.get(id);
  if (state === undefined || state.deleted) return { status: 404, body: { error: { code: "IdentityNotFound" } } };
  return { status: 200, body: await issueToken(id, JSON.parse(body).scopes) };
}

if (framework === "fastify") {
  const app = require("fastify")({ logger: false });
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
  app.post("/*", async (request, reply) => {
    const answer = await handle(request.method, request.url, request.headers, request.body);
    return reply.code(answer.status).send(answer.body);
  });
  app.listen({ port: Number(portArg), host: "127.0.0.1" });
} else {
  http
    .createServer((req, res) => {
      const chunks = [];
      req.on("data", (chunk) => chunks.push(chunk));
      req.on("end", () => {
        handle(req.method, req.url, req.headers, Buffer.concat(chunks))
          .catch((err) => ({ status: 500, body: { error: { code: "InternalError", message: String(err) } } }))
          .then(({ status, body }) => {
            const text = JSON.stringify(body);
            res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
            res.end(text);
          });
      });
    })
    .listen(Number(portArg), "127.0.0.1");
}
process.on("SIGTERM", () => process.exit(0));
