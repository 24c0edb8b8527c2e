import http from "node:http";
import https from "node:https";
import { readFileSync } from "node:fs";
import WebSocket from "ws";
import { signRequest } from "../../../src/auth/hmac/hmac-signature.js";
import { managedDomainOf } from "../../../src/email/email-domains.js";
import type { TestServer } from "../../support/test-server.js";
import { buyNumbers } from "../../messaging/helpers.js";
import { createSp, runCli } from "../../entra/entra-support.js";

/**
 * A bounded, seeded fuzzer: valid requests for every route, mutated (path, query, headers, credentials, body), sent
 * over both listeners with a bounded concurrency, plus mutated WebSocket signaling sessions. It reports every 5xx,
 * every request that did not complete in time, and the RSS of this process (the server runs in it) along the way.
 */
export interface FuzzOptions {
  requests: number;
  seed: number;
  concurrency: number;
  /** Per-request limit: a request that takes longer is a hang. */
  timeoutMs: number;
  /** Signaling sessions with mutated frames, spread over the run. */
  webSocketSessions: number;
}

export interface FuzzReport {
  requests: number;
  byStatus: Record<string, number>;
  fiveXx: Array<{ method: string; path: string; status: number; code?: string }>;
  hangs: Array<{ method: string; path: string }>;
  transportErrors: number;
  webSocketSessions: number;
  webSocketUnexpectedCloses: Array<{ code: number; reason: string }>;
  rssStartMb: number;
  rssPeakMb: number;
  rssEndMb: number;
  heapEndMb: number;
  durationMs: number;
  requestsPerSecond: number;
}

type Auth = "hmac" | "user" | "entra" | "none";
interface Template {
  method: string;
  path: string;
  query?: string;
  body?: unknown;
  form?: boolean;
  auth: Auth;
}

/** mulberry32: small, fast, reproducible. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof prng>;

const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff",
  "%00",
  "%",
  "%ZZ",
  "%FF%FE",
  "../../etc/passwd",
  "..%2f..%2f",
  "8:acs:",
  "8:acs:00000000-0000-0000-0000-000000000000_x",
  "19:x@thread.v2",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  "${jndi:ldap://x}",
  "𝒳".repeat(50),
  "x".repeat(5000),
  "null",
  "-1",
  "1e309",
  "NaN",
  "\r\nX-Injected: 1",
  "é",
  "\u202e",
];
const NASTY_VALUES: unknown[] = [null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5, [], {}, [null], { "": "" }, "x".repeat(70_000)];

function mutateString(rng: Rng, s: string): string {
  switch (rng.int(6)) {
    case 0:
      return rng.pick(NASTY_STRINGS);
    case 1:
      return s + rng.pick(NASTY_STRINGS);
    case 2:
      return s.slice(0, rng.int(s.length + 1));
    case 3: {
      const i = rng.int(s.length + 1);
      return s.slice(0, i) + String.fromCharCode(rng.int(0x10000)) + s.slice(i);
    }
    case 4:
      return s.repeat(1 + rng.int(20));
    default:
      return s.toUpperCase();
  }
}

function mutateValue(rng: Rng, v: unknown, depth = 0): unknown {
  if (depth > 6) return v;
  if (rng.chance(0.15)) return rng.chance(0.5) ? rng.pick(NASTY_VALUES) : rng.pick(NASTY_STRINGS);
  if (typeof v === "string") return rng.chance(0.5) ? mutateString(rng, v) : v;
  if (typeof v === "number") return rng.chance(0.5) ? rng.pick(NASTY_VALUES) : v;
  if (Array.isArray(v)) {
    const out = v.map((x) => mutateValue(rng, x, depth + 1));
    if (rng.chance(0.2)) out.push(...Array.from({ length: rng.int(300) }, () => out[0] ?? rng.pick(NASTY_VALUES)));
    if (rng.chance(0.1)) out.length = 0;
    return out;
  }
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (rng.chance(0.1)) continue; // drop a field
      out[rng.chance(0.05) ? mutateString(rng, k) : k] = mutateValue(rng, x, depth + 1);
    }
    if (rng.chance(0.1)) out[rng.pick(["__proto__", "constructor", "extra", "\u0000"])] = rng.pick(NASTY_VALUES);
    return out;
  }
  return v;
}

function deepNest(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

function mutateBody(rng: Rng, body: unknown): string | Buffer {
  const text = body === undefined ? "" : JSON.stringify(body);
  switch (rng.int(10)) {
    case 0:
      return text.slice(0, rng.int(text.length + 1)); // truncated
    case 1: {
      const b = Buffer.from(text);
      for (let i = 0; i < 1 + rng.int(4); i++) if (b.length > 0) b[rng.int(b.length)] = rng.int(256);
      return b; // flipped bytes, maybe invalid UTF-8
    }
    case 2:
      return deepNest(1 + rng.int(20_000));
    case 3:
      return rng.pick(["", "null", "[]", "{}", "0", '"x"', "{{", "\u0000", "true"]);
    case 4:
      return rng.chance(0.1) ? "x".repeat(600 * 1024) : JSON.stringify({ pad: "y".repeat(rng.int(200_000)) });
    default:
      return JSON.stringify(mutateValue(rng, body));
  }
}

export interface FuzzTargets {
  templates: Template[];
  accessKey: string;
  userToken: string;
  entraToken: string;
}

/** Real ids to start from: an identity with a token, a thread with a message, a number, an Entra principal's token. */
export async function prepareTargets(srv: TestServer): Promise<FuzzTargets> {
  const key = srv.currentResource().keys.primary.value;
  const core = srv.server.core;
  const operator = { kind: "operator", name: "fuzz" } as const;
  const user = await core.identities.create(srv.currentResource(), operator, { scopes: ["chat", "voip"], lifetimeMinutes: 1440 });
  const spare = await core.identities.create(srv.currentResource(), operator, { scopes: ["chat"], lifetimeMinutes: 60 });
  const thread = await fetchJson(`${srv.httpsUrl}/chat/threads?api-version=2024-03-07`, "POST", { topic: "fuzz" }, { authorization: `Bearer ${user.accessToken!.token}` });
  const threadId = thread.chatThread.id as string;
  const message = await fetchJson(`${srv.httpsUrl}/chat/threads/${encodeURIComponent(threadId)}/messages?api-version=2024-03-07`, "POST", { content: "hi" }, { authorization: `Bearer ${user.accessToken!.token}` });
  const [number] = await buyNumbers(srv);
  const sp = await createSp(srv, `fuzz-${Date.now()}`);
  await runCli(srv, ["role", "assign", "--principal", sp.clientId, "--role", "Contributor"]);
  const entra = await fetchJson(
    `${srv.httpsUrl}/${sp.tenantId}/oauth2/v2.0/token`,
    "POST",
    new URLSearchParams({ grant_type: "client_credentials", client_id: sp.clientId, client_secret: sp.clientSecret!, scope: "https://communication.azure.com//.default" }).toString(),
    { "content-type": "application/x-www-form-urlencoded" },
  );
  const id = encodeURIComponent(user.id);
  const sid = encodeURIComponent(spare.id);
  const t = encodeURIComponent(threadId);
  const tenant = sp.tenantId;
  const I = "api-version=2023-10-01";
  const C = "api-version=2024-03-07";
  const P = "api-version=2025-04-01";
  const templates: Template[] = [
    { method: "POST", path: "/identities", query: I, body: { createTokenWithScopes: ["chat"], expiresInMinutes: 60 }, auth: "hmac" },
    { method: "POST", path: "/identities", query: I, body: {}, auth: "entra" },
    { method: "POST", path: `/identities/${id}/:issueAccessToken`, query: I, body: { scopes: ["chat", "voip"], expiresInMinutes: 60 }, auth: "hmac" },
    { method: "POST", path: `/identities/${sid}/:revokeAccessTokens`, query: I, auth: "hmac" },
    { method: "DELETE", path: `/identities/${sid}`, query: I, auth: "hmac" },
    { method: "POST", path: "/tokens/:introspect", query: I, body: { token: spare.accessToken!.token }, auth: "hmac" },
    { method: "POST", path: "/teamsUser/:exchangeAccessToken", query: I, body: { token: "a.b.c", appId: "x", userId: "y" }, auth: "hmac" },
    { method: "POST", path: "/access/entra/:exchangeAccessToken", query: I, body: {}, auth: "entra" },
    { method: "GET", path: "/activity", query: `identity=${id}&api-version=2025-06-30&maxPageSize=5`, auth: "hmac" },
    { method: "POST", path: "/sms", query: "api-version=2021-03-07", body: { from: number, smsRecipients: [{ to: "+14255550123" }], message: "hello", smsSendOptions: { enableDeliveryReport: true, tag: user.id } }, auth: "hmac" },
    { method: "GET", path: "/deliveryReports/Outgoing_x", query: "api-version=2026-01-23", auth: "hmac" },
    { method: "POST", path: "/sms/optouts:add", query: "api-version=2026-01-23", body: { from: number, recipients: [{ to: "+14255550123" }] }, auth: "hmac" },
    {
      method: "POST",
      path: "/emails:send",
      query: "api-version=2025-09-01",
      body: { senderAddress: `DoNotReply@${managedDomainOf(srv.resource.id)}`, content: { subject: "s", plainText: "p", html: "<b>h</b>" }, recipients: { to: [{ address: "a@example.com", displayName: "A" }] }, headers: { "X-Switchboard-Identity": user.id }, attachments: [{ name: "a.txt", contentType: "text/plain", contentInBase64: "aGk=" }] },
      auth: "hmac",
    },
    { method: "GET", path: "/emails/operations/00000000-0000-4000-8000-000000000000", query: "api-version=2025-09-01", auth: "hmac" },
    { method: "GET", path: "/availablePhoneNumbers/countries", query: P, auth: "hmac" },
    { method: "GET", path: "/availablePhoneNumbers/countries/US/offerings", query: P, auth: "hmac" },
    { method: "GET", path: "/availablePhoneNumbers/countries/US/areaCodes", query: `phoneNumberType=geographic&${P}`, auth: "hmac" },
    { method: "GET", path: "/availablePhoneNumbers/countries/US/localities", query: P, auth: "hmac" },
    { method: "POST", path: "/availablePhoneNumbers/countries/US/:search", query: P, body: { phoneNumberType: "tollFree", assignmentType: "application", capabilities: { calling: "none", sms: "inbound+outbound" }, quantity: 1 }, auth: "hmac" },
    { method: "POST", path: "/availablePhoneNumbers/countries/US/:browse", query: P, body: { phoneNumberType: "tollFree", assignmentType: "application", capabilities: { calling: "none", sms: "outbound" } }, auth: "hmac" },
    { method: "PATCH", path: "/availablePhoneNumbers/reservations/00000000-0000-4000-8000-000000000000", query: P, body: { phoneNumbers: {} }, auth: "hmac" },
    { method: "GET", path: "/phoneNumbers", query: P, auth: "hmac" },
    { method: "GET", path: `/phoneNumbers/${encodeURIComponent(number!)}`, query: P, auth: "hmac" },
    { method: "PATCH", path: `/phoneNumbers/${encodeURIComponent(number!)}/capabilities`, query: P, body: { calling: "none", sms: "inbound+outbound" }, auth: "hmac" },
    { method: "POST", path: "/operatorInformation/:search", query: P, body: { phoneNumbers: [number] }, auth: "hmac" },
    { method: "GET", path: "/outbox", query: "", auth: "hmac" },
    { method: "GET", path: "/calling/calls", query: "api-version=2025-01-01", auth: "hmac" },
    { method: "POST", path: "/chat/threads", query: C, body: { topic: "t", participants: [{ communicationIdentifier: { rawId: user.id, communicationUser: { id: user.id } }, displayName: "U" }], metadata: { k: "v" } }, auth: "user" },
    { method: "GET", path: "/chat/threads", query: `${C}&maxPageSize=5`, auth: "user" },
    { method: "GET", path: `/chat/threads/${t}`, query: C, auth: "user" },
    { method: "PATCH", path: `/chat/threads/${t}`, query: C, body: { topic: "new", metadata: { a: "b" } }, auth: "user" },
    { method: "POST", path: `/chat/threads/${t}/participants/:add`, query: C, body: { participants: [{ communicationIdentifier: { rawId: spare.id, communicationUser: { id: spare.id } }, displayName: "S", shareHistoryTime: "2020-01-01T00:00:00Z" }] }, auth: "user" },
    { method: "POST", path: `/chat/threads/${t}/participants/:remove`, query: C, body: { rawId: spare.id, communicationUser: { id: spare.id } }, auth: "user" },
    { method: "GET", path: `/chat/threads/${t}/participants`, query: C, auth: "user" },
    { method: "POST", path: `/chat/threads/${t}/messages`, query: C, body: { content: "hello", senderDisplayName: "U", type: "text", metadata: { m: "1" } }, auth: "user" },
    { method: "GET", path: `/chat/threads/${t}/messages`, query: `${C}&maxPageSize=3`, auth: "user" },
    { method: "GET", path: `/chat/threads/${t}/messages/${message.id}`, query: C, auth: "user" },
    { method: "PATCH", path: `/chat/threads/${t}/messages/${message.id}`, query: C, body: { content: "edited" }, auth: "user" },
    { method: "POST", path: `/chat/threads/${t}/readReceipts`, query: C, body: { chatMessageId: message.id }, auth: "user" },
    { method: "GET", path: `/chat/threads/${t}/readReceipts`, query: C, auth: "user" },
    { method: "POST", path: `/chat/threads/${t}/typing`, query: C, body: { senderDisplayName: "U" }, auth: "user" },
    { method: "GET", path: `/${tenant}/v2.0/.well-known/openid-configuration`, auth: "none" },
    { method: "GET", path: `/${tenant}/discovery/v2.0/keys`, auth: "none" },
    { method: "POST", path: `/${tenant}/oauth2/v2.0/token`, form: true, body: { grant_type: "client_credentials", client_id: sp.clientId, client_secret: "wrong", scope: "https://communication.azure.com//.default" }, auth: "none" },
    { method: "GET", path: "/.well-known/jwks.json", auth: "none" },
    { method: "GET", path: "/health/ready", auth: "none" },
    { method: "GET", path: "/calling/demo", auth: "none" },
  ];
  return { templates, accessKey: key, userToken: user.accessToken!.token, entraToken: entra.access_token as string };
}

async function fetchJson(url: string, method: string, body: unknown, headers: Record<string, string>): Promise<any> {
  const res = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

interface Built {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: string | Buffer;
  https: boolean;
}

function build(rng: Rng, t: Template, targets: FuzzTargets, hostFor: (https: boolean) => string): Built {
  const useHttps = t.auth === "user" || t.auth === "entra" || t.form === true ? !rng.chance(0.1) : rng.chance(0.3);
  let method = rng.chance(0.03) ? rng.pick(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]) : t.method;
  let path = t.path;
  if (rng.chance(0.25)) {
    const segments = path.split("/");
    const i = 1 + rng.int(Math.max(1, segments.length - 1));
    segments[i] = rng.chance(0.5) ? encodeURIComponent(mutateString(rng, decodeURIComponent(segments[i] ?? ""))) : mutateString(rng, segments[i] ?? "");
    path = segments.join("/");
  }
  if (rng.chance(0.03)) path = path + rng.pick(["/", "//", "/..", "%2F", "?", "#x", ";x"]);
  let query = t.query ?? "";
  if (rng.chance(0.2)) {
    const params = new URLSearchParams(query);
    const keys = [...params.keys()];
    const op = rng.int(4);
    if (op === 0 && keys.length > 0) params.delete(rng.pick(keys));
    else if (op === 1 && keys.length > 0) params.set(rng.pick(keys), mutateString(rng, params.get(rng.pick(keys)) ?? ""));
    else if (op === 2) params.append(rng.pick(["api-version", "maxPageSize", "skip", "startTime", "identity", "x"]), rng.pick(NASTY_STRINGS));
    else query = query + rng.pick(["&&", "&=", "&a", "&api-version", "%", "&x=%00"]);
    if (op <= 2) query = params.toString();
  }
  const target = query === "" ? path : `${path}?${query}`;
  let body: string | Buffer | undefined;
  if (t.form === true) {
    const form = rng.chance(0.5) ? (mutateValue(rng, t.body) as Record<string, unknown>) : (t.body as Record<string, unknown>);
    body = new URLSearchParams(Object.entries(typeof form === "object" && form !== null ? form : {}).map(([k, v]) => [k, String(v)] as [string, string])).toString();
  } else if (t.body !== undefined || rng.chance(0.05)) {
    body = rng.chance(0.7) ? mutateBody(rng, t.body) : JSON.stringify(t.body ?? {});
  }
  const headers: Record<string, string | string[]> = {
    "content-type": t.form === true ? "application/x-www-form-urlencoded" : rng.chance(0.05) ? rng.pick(["text/plain", "application/xml", "multipart/form-data", "application/json; charset=latin1", ""]) : "application/json",
  };
  const host = hostFor(useHttps);
  const auth: Auth = rng.chance(0.05) ? rng.pick(["hmac", "user", "entra", "none"] as const) : t.auth;
  if (auth === "hmac") {
    // Mostly a valid signature over the mutated request, so it reaches validation; sometimes a tampered one.
    const signed = signRequest({ method, url: new URL(`http://${host}${target}`), body: body ?? "", accessKey: targets.accessKey });
    Object.assign(headers, signed);
    if (rng.chance(0.15)) {
      const field = rng.pick(["x-ms-date", "x-ms-content-sha256", "authorization"]);
      headers[field] = rng.chance(0.3) ? [String(headers[field]), String(headers[field])] : mutateString(rng, String(headers[field]));
    }
  } else if (auth === "user" || auth === "entra") {
    let token = auth === "user" ? targets.userToken : targets.entraToken;
    if (rng.chance(0.15)) {
      const parts = token.split(".");
      const i = rng.int(3);
      parts[i] = rng.chance(0.5) ? mutateString(rng, parts[i]!) : Buffer.from(JSON.stringify(mutateValue(rng, { alg: "none", kid: "x", typ: "JWT" }))).toString("base64url");
      token = parts.join(".");
    }
    headers.authorization = rng.chance(0.03) ? rng.pick(["Bearer", "Bearer  ", `bearer ${token}`, `Bearer ${token} x`, "Basic eDp5"]) : `Bearer ${token}`;
  }
  if (rng.chance(0.03)) headers.host = rng.pick(["", "evil.example.com", "a".repeat(300), "127.0.0.1:1"]);
  if (method === "GET" || method === "HEAD") body = rng.chance(0.05) ? body : undefined;
  if (method === "HEAD" || method === "OPTIONS") method = rng.chance(0.5) ? method : t.method;
  return { method, path: target, headers, ...(body !== undefined ? { body } : {}), https: useHttps };
}

export async function fuzz(srv: TestServer, targets: FuzzTargets, options: FuzzOptions): Promise<FuzzReport> {
  const rng = prng(options.seed);
  const ca = readFileSync(process.env.SWITCHBOARD_TEST_TLS_CERT!);
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: options.concurrency, ca });
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const httpsUrl = new URL(srv.httpsUrl);
  const httpUrl = new URL(srv.httpUrl);
  const report: FuzzReport = {
    requests: 0,
    byStatus: {},
    fiveXx: [],
    hangs: [],
    transportErrors: 0,
    webSocketSessions: 0,
    webSocketUnexpectedCloses: [],
    rssStartMb: 0,
    rssPeakMb: 0,
    rssEndMb: 0,
    heapEndMb: 0,
    durationMs: 0,
    requestsPerSecond: 0,
  };
  const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  report.rssStartMb = mb(process.memoryUsage().rss);
  const started = performance.now();

  const one = (b: Built): Promise<void> =>
    new Promise((resolve) => {
      const u = b.https ? httpsUrl : httpUrl;
      let settled = false;
      const done = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      let req: http.ClientRequest;
      try {
        req = (b.https ? https : http).request(
          {
            method: b.method,
            host: u.hostname,
            port: u.port,
            path: b.path,
            headers: b.headers,
            agent: b.https ? httpsAgent : httpAgent,
            timeout: options.timeoutMs,
          },
          (res) => {
            const status = res.statusCode ?? 0;
            report.byStatus[status] = (report.byStatus[status] ?? 0) + 1;
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => {
              if (status >= 500) chunks.push(c);
            });
            res.on("end", () => {
              if (status >= 500) {
                let code: string | undefined;
                try {
                  code = JSON.parse(Buffer.concat(chunks).toString("utf8"))?.error?.code;
                } catch {
                  code = undefined;
                }
                report.fiveXx.push({ method: b.method, path: b.path.slice(0, 200), status, ...(code !== undefined ? { code } : {}) });
              }
              done();
            });
            res.on("error", () => done());
          },
        );
      } catch {
        // The client library refused to build it (an invalid header value): nothing was sent.
        report.byStatus["not-sent"] = (report.byStatus["not-sent"] ?? 0) + 1;
        return done();
      }
      req.on("timeout", () => {
        report.hangs.push({ method: b.method, path: b.path.slice(0, 200) });
        req.destroy();
        done();
      });
      req.on("error", () => {
        report.transportErrors++;
        done();
      });
      if (b.body !== undefined) req.end(b.body);
      else req.end();
    });

  let issued = 0;
  const wsEvery = options.webSocketSessions > 0 ? Math.max(1, Math.floor(options.requests / options.webSocketSessions)) : Infinity;
  const worker = async () => {
    while (issued < options.requests) {
      const n = issued++;
      if (n % wsEvery === 0 && report.webSocketSessions < options.webSocketSessions) await webSocketSession(srv, targets, rng, report, ca);
      const t = rng.pick(targets.templates);
      let built: Built;
      try {
        built = build(rng, t, targets, (secure) => (secure ? httpsUrl.host : httpUrl.host));
      } catch {
        // The mutation produced something no HTTP client can send (an invalid URL): counted, not sent.
        report.byStatus["not-sent"] = (report.byStatus["not-sent"] ?? 0) + 1;
        report.requests++;
        continue;
      }
      await one(built);
      report.requests++;
      if (report.requests % 500 === 0) report.rssPeakMb = Math.max(report.rssPeakMb, mb(process.memoryUsage().rss));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  httpsAgent.destroy();
  httpAgent.destroy();
  report.durationMs = Math.round(performance.now() - started);
  report.requestsPerSecond = Math.round((report.requests / report.durationMs) * 1000);
  const usage = process.memoryUsage();
  report.rssEndMb = mb(usage.rss);
  report.rssPeakMb = Math.max(report.rssPeakMb, report.rssEndMb);
  report.heapEndMb = mb(usage.heapUsed);
  return report;
}

/** A signaling session with a random abuse: garbage, oversized or binary frames, floods, forged tokens, silence. */
async function webSocketSession(srv: TestServer, targets: FuzzTargets, rng: Rng, report: FuzzReport, ca: Buffer): Promise<void> {
  report.webSocketSessions++;
  const ws = new WebSocket(`${srv.httpsUrl.replace("https:", "wss:")}/calling/signaling`, "switchboard.calling.v1", { ca });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on("error", () => undefined);
  });
  const opened = await new Promise<boolean>((resolve) => {
    ws.once("open", () => resolve(true));
    ws.once("error", () => resolve(false));
    setTimeout(() => resolve(false), 5000);
  });
  if (!opened) return;
  const token = rng.chance(0.5) ? targets.userToken : mutateString(rng, targets.userToken);
  const kind = rng.int(7);
  try {
    if (kind === 0) ws.send(mutateString(rng, '{"type":"auth"}'));
    else if (kind === 1) ws.send(Buffer.alloc(70_000, 0x7b));
    else if (kind === 2) ws.send(Buffer.from([0xff, 0xfe, 0x00]), { binary: true });
    else if (kind === 3) for (let i = 0; i < 400; i++) ws.send(JSON.stringify({ type: "auth", token, requestId: String(i) }));
    else if (kind === 4) ws.send(JSON.stringify(mutateValue(rng, { type: "auth", token, requestId: "x" })));
    else if (kind === 5) {
      ws.send(JSON.stringify({ type: "auth", token: targets.userToken, requestId: "a" }));
      ws.send(JSON.stringify(mutateValue(rng, { type: "startCall", callees: ["8:acs:x"], requestId: "b", sdp: "v=0" })));
    } else ws.send(deepNest(1 + rng.int(5000)));
  } catch {
    /* the socket may already be closing */
  }
  const result = await Promise.race([closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 300))]);
  if (result !== undefined && (result.code === 1011 || result.code === 1006)) report.webSocketUnexpectedCloses.push(result);
  ws.terminate();
}
