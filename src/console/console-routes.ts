import { PassThrough } from "node:stream";
import { describePrincipal } from "../auth/principal.js";
import { OPERATION_PATTERN } from "../activity/activity-operations.js";
import type { ActivityRepository } from "../activity/activity-repository.js";
import type { CallRepository } from "../calling/call-repository.js";
import { AcsError } from "../errors/acs-errors.js";
import { defineRoute, type HandlerContext, type Reply, type RouteSpec } from "../http/route.js";
import type { IdentityService } from "../identity/identity-service.js";
import { checkLifetime, checkScopes } from "../identity/identity-service.js";
import type { OutboxRepository, OutboxView } from "../outbox/outbox-repository.js";
import type { Authorizer } from "../rbac/authorizer.js";
import type { ResourceRegistry } from "../resources/resource-registry.js";
import type { ResourceRepository } from "../resources/resource-repository.js";
import type { KeyName, Resource } from "../resources/resource.js";
import type { Store } from "../store/store.js";
import type { DeliveryReportData } from "../sms/delivery-report.js";
import type { Clock } from "../util/clock.js";
import { CONSOLE_CSS, CONSOLE_JS } from "./console-assets.js";
import { ConsoleAuth, CONSOLE_COOKIE, parseCookie } from "./console-auth.js";
import { CONSOLE_ASSETS, esc, layout, pageHeaders, table, time } from "./console-html.js";
import { identitiesBody, identityBody, keysBody, outboxBody, outboxMessageBody, overviewBody, type IdentityRow } from "./console-pages.js";
import { authorizeAction, operatorOf, readForm, requireApiOperator, requireCsrf, signInNeededPage, wantsJson, type Operator, type UserPrincipalLookup } from "./console-session.js";
import { extraPages } from "./console-extra-pages.js";
import { ConsoleViewRepository } from "./console-repository.js";
import { liveStream, RequestSampler, sseStream, type SseEvent } from "./console-live.js";
import {
  activityPage,
  activityRow,
  deliveryReportBody,
  liveCallRows,
  overviewExtras,
  principalCreatedBody,
  trafficCharts,
  sinceOf,
  type ActivityFilters,
} from "./console-views.js";
import { userSigninRoutes, type UserSigninDeps } from "./console-user-signin.js";

export interface ConsoleDeps {
  store: Store;
  clock: Clock;
  auth: ConsoleAuth;
  registry: ResourceRegistry;
  resources: ResourceRepository;
  identities: IdentityService;
  activity: ActivityRepository;
  outbox: OutboxRepository;
  calls: CallRepository;
  authorizer: Authorizer;
  /** The principal of a built-in user's console session (undefined once the user is disabled or deleted). */
  userPrincipal: UserPrincipalLookup;
  /** The HTTPS listener's port once bound (the HTTP listener redirects the console there). */
  httpsPort(): number | undefined;
  /** Extra read-only pages' data sources. */
  extra: Parameters<typeof extraPages>[0];
  /** Starts signing user tokens with a new key; returns its kid. */
  rotateSigningKey(): Promise<string>;
  /** Built-in users signing in on the authority's page (absent: console links only). */
  userSignin?: Omit<UserSigninDeps, "auth" | "secure">;
  /** How often the outbox stream looks for new messages. */
  outboxPollMs?: number;
  /** How often the Activity and Calls pages' live streams look for changes (default: outboxPollMs). */
  livePollMs?: number;
  /** Releases a number of a resource (the Phone numbers page). */
  releasePhoneNumber(resource: Resource, phoneNumber: string): Promise<{ operationId: string }>;
  /** An SMS's delivery report (undefined: no such SMS). */
  smsDeliveryReport(resource: Resource, messageId: string): Promise<DeliveryReportData | undefined>;
}

export interface ConsoleModule {
  routes(): RouteSpec[];
  /** Ends the open live streams (the server closes only once every connection has ended). */
  close(): void;
}

const PAGE_SIZE = 50;
/** How many of the newest activity rows the Activity page searches for every identity's events. */
const SCAN_ROWS = 100_000;
/** How many of the newest activity rows the Overview's recent errors come from. */
const ERROR_SCAN_ROWS = 20_000;
/** How far behind its cursor the Activity page's stream looks for rows committed late. */
const TAIL_OVERLAP = 256;

function html(status: number, body: string, extra: Record<string, string> = {}): Reply {
  return { status, rawBody: body, headers: pageHeaders(extra) };
}

function redirect(location: string, extra: Record<string, string> = {}): Reply {
  return { status: 303, headers: { location, "cache-control": "no-store", "referrer-policy": "no-referrer", ...extra } };
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The host of the Host header without its port (IPv6 literals keep their brackets). */
function hostOnly(host: string | undefined): string {
  const h = host ?? "localhost";
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(h);
  return m?.[1] ?? "localhost";
}

export function createConsole(deps: ConsoleDeps): ConsoleModule {
  const views = new ConsoleViewRepository(deps.store);
  const streams = new Set<PassThrough>();
  const pollMs = deps.outboxPollMs ?? 500;
  const livePollMs = deps.livePollMs ?? pollMs;
  const sampler = new RequestSampler(deps.extra.metrics, () => deps.clock.now());
  /** Starts the sampler on first use and takes a sample now: the charts' points. */
  async function sampleTraffic(): Promise<Array<{ rate: number; latencyMs: number }>> {
    sampler.start();
    await sampler.sample().catch(() => undefined);
    return sampler.points();
  }

  /** Console URLs are HTTPS only: the HTTP listener redirects them (a Secure cookie never travels over HTTP). */
  function secure(handle: (ctx: HandlerContext<unknown>) => Promise<Reply> | Reply) {
    return (ctx: HandlerContext<unknown>): Promise<Reply> | Reply => {
      if (ctx.request.protocol === "https") return handle(ctx);
      const port = deps.httpsPort();
      const target = `https://${hostOnly(ctx.headers.host)}${port === undefined || port === 443 ? "" : `:${port}`}${ctx.request.url}`;
      return { status: 308, headers: { location: target, "cache-control": "no-store" } };
    };
  }

  function resourceFor(ctx: HandlerContext<unknown>, form: Record<string, string> = {}): Resource {
    const id = form.resource ?? one(ctx.query.resource);
    if (id === undefined || id === "") return deps.registry.get(ctx.resource.id) ?? ctx.resource;
    const found = deps.registry.get(id);
    if (found === undefined) throw new AcsError("NotFound", `No resource '${id.slice(0, 80)}'.`);
    return found;
  }

  /** Role assignments are changed by the operator at the machine (console link, CLI), not by a signed-in user. */
  function requireOperator(op: Operator): void {
    if (op.principal.kind !== "operator") throw new AcsError("Forbidden", "Role assignments are changed by the operator (switchboard console link or switchboard role).");
  }

  function endpointOf(ctx: HandlerContext<unknown>, r: Resource): string {
    if (r.hostnames.length === 0 || r.id === ctx.resource.id) return `${ctx.baseUrl}/`;
    const port = /:(\d+)$/.exec(ctx.headers.host ?? "")?.[1];
    return `https://${r.hostnames[0]}${port === undefined ? "" : `:${port}`}/`;
  }

  type PageFn = (ctx: HandlerContext<unknown>, op: Operator) => Promise<Reply> | Reply;

  function page(url: string, operation: string, fn: PageFn): RouteSpec {
    return defineRoute({
      operation,
      method: "GET",
      url,
      auth: "none",
      requireApiVersion: false,
      handle: secure(async (ctx) => {
        const op = await operatorOf(deps.auth, ctx, deps.userPrincipal);
        if (op === undefined) return signInNeededPage();
        return fn(ctx, op);
      }),
    });
  }

  function frame(title: string, op: Operator, body: string, current = title): string {
    return layout({ title, current, operator: op.session.operator, csrf: op.session.csrf }, body);
  }

  type ActionFn = (ctx: HandlerContext<unknown>, op: Operator, form: Record<string, string>) => Promise<Reply>;

  /** A state-changing console request: session (401), CSRF token (403), then the handler (which authorizes). */
  function action(url: string, operation: string, fn: ActionFn): RouteSpec {
    return defineRoute({
      operation,
      method: "POST",
      url,
      auth: "none",
      requireApiVersion: false,
      bodyFormat: "raw",
      handle: secure(async (ctx) => {
        const op = await requireApiOperator(deps.auth, ctx, deps.userPrincipal);
        // Filed under the operator too: actions that concern no identity (keys, roles, principals …) are recorded.
        ctx.request.facts.activityKeys = [describePrincipal(op.principal)];
        const form = readForm(ctx);
        requireCsrf(op, ctx, form);
        ctx.annotate({ via: "console" });
        try {
          return await fn(ctx, op, form);
        } catch (err) {
          // A page's form gets a page saying why (a Reader regenerating a key, say); scripts get the ACS error.
          if (!(err instanceof AcsError) || wantsJson(ctx)) throw err;
          ctx.request.facts.errorCode = err.code;
          return html(err.status, frame("Not done", op, `<p role="alert" class="error">${esc(err.message)}</p><p><a href="/console">Back to the overview</a></p>`));
        }
      }),
    });
  }

  function api(url: string, operation: string, fn: (ctx: HandlerContext<unknown>, op: Operator) => Promise<Reply>): RouteSpec {
    return defineRoute({
      operation,
      method: "GET",
      url,
      auth: "none",
      requireApiVersion: false,
      handle: secure(async (ctx) => fn(ctx, await requireApiOperator(deps.auth, ctx, deps.userPrincipal))),
    });
  }

  async function listIdentities(resource: Resource, search: string, after: string | undefined): Promise<{ rows: IdentityRow[]; next?: string }> {
    const rows = await views.listIdentities(resource.id, search, after, PAGE_SIZE + 1);
    const page = rows.slice(0, PAGE_SIZE).map((r) => ({
      id: r.id,
      createdAt: Number(r.created_at),
      deletedAt: r.deleted_at === null ? null : Number(r.deleted_at),
      revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    }));
    return { rows: page, ...(rows.length > PAGE_SIZE ? { next: page[page.length - 1]!.id } : {}) };
  }

  async function findIdentity(resource: Resource, id: string): Promise<IdentityRow | undefined> {
    const r = await views.findIdentity(resource.id, id);
    if (r === undefined) return undefined;
    return { id: r.id, createdAt: Number(r.created_at), deletedAt: r.deleted_at === null ? null : Number(r.deleted_at), revokedAt: r.revoked_at === null ? null : Number(r.revoked_at) };
  }

  async function identityPage(_ctx: HandlerContext<unknown>, op: Operator, resource: Resource, id: string, issued?: { token: string; expiresOn: string; claims: unknown }): Promise<Reply> {
    const identity = await findIdentity(resource, id);
    if (identity === undefined) return html(404, frame("Identity not found", op, `<p>No identity <code>${esc(id)}</code> in ${esc(resource.name)}.</p>`, "Identities"));
    const { events } = await deps.activity.query({ identity: id, resourceId: resource.id, limit: 100 });
    return html(200, frame("Identity", op, identityBody({ identity, csrf: op.session.csrf, resource, events, ...(issued !== undefined ? { issued } : {}) }), "Identities"));
  }

  async function count(tableName: "identities" | "outbox_messages" | "calls" | "chat_threads", resourceId: string): Promise<number> {
    return views.count(tableName, resourceId);
  }

  /** Server-Sent Events: every message of the resource created from `since` (epoch ms; default: now) on. */
  function outboxStream(ctx: HandlerContext<unknown>, resource: Resource): Reply {
    const sinceParam = Number(one(ctx.query.since));
    const since = Number.isFinite(sinceParam) && sinceParam > 0 ? sinceParam : deps.clock.now();
    const seen = new Set<string>();
    return sseStream(streams, ctx, pollMs, async (first) => {
      const latest = await deps.outbox.list({ resourceId: resource.id, limit: 50 });
      const events: SseEvent[] = [];
      for (const m of [...latest].reverse()) {
        if (seen.has(m.id)) continue;
        seen.add(m.id);
        if (!first || Date.parse(m.createdAt) >= since) events.push({ event: "outbox", data: listView(m) });
      }
      // Only the latest page can reappear: forget older ids so a long-lived stream stays small.
      if (seen.size > 1_000) {
        seen.clear();
        for (const m of latest) seen.add(m.id);
      }
      return events;
    });
  }

  function listView(m: OutboxView) {
    return { id: m.id, kind: m.kind, from: m.from, to: m.to, createdAt: m.createdAt, ...(m.subject !== undefined ? { subject: m.subject } : {}), ...(m.kind === "sms" && m.text !== undefined ? { text: m.text } : {}) };
  }

  /** Running counts of today's tokens per resource: each Overview reads only the activity rows appended since the last. */
  const tokenCounts = new Map<string, { day: number; seq: number; count: number }>();
  async function tokensToday(resourceId: string, day: number): Promise<number> {
    const known = tokenCounts.get(resourceId);
    const base = known !== undefined && known.day === day ? known : { day, seq: -1, count: 0 };
    const upTo = await deps.activity.lastSeq();
    if (upTo <= base.seq) return base.count;
    const count = base.count + (await deps.activity.tokensIssuedSince(day, resourceId, { after: base.seq, upTo }));
    tokenCounts.set(resourceId, { day, seq: upTo, count });
    return count;
  }

  function activityFilters(ctx: HandlerContext<unknown>): ActivityFilters {
    const identity = (one(ctx.query.identity) ?? "").trim().slice(0, 300);
    const operation = (one(ctx.query.operation) ?? "").trim().slice(0, 100);
    if (operation !== "" && !OPERATION_PATTERN.test(operation)) throw new AcsError("ValidationError", "operation must be an operation name or a prefix such as chat.*");
    const o = one(ctx.query.outcome);
    const outcome = o === "succeeded" || o === "failed" ? o : "";
    const s = one(ctx.query.since) ?? "";
    return { identity, operation, outcome, since: sinceOf(s, 0) !== undefined ? s : "" };
  }

  function activityQuery(f: ActivityFilters) {
    const from = sinceOf(f.since, deps.clock.now());
    return {
      ...(f.identity !== "" ? { identity: f.identity } : {}),
      ...(f.operation !== "" ? { operation: f.operation } : {}),
      ...(f.outcome !== "" ? { outcome: f.outcome } : {}),
      ...(from !== undefined ? { from } : {}),
    };
  }

  /** New rows oldest first (the script inserts each at the top), and the cursor after them. */
  function activityUpdate(rows: Awaited<ReturnType<ActivityRepository["recent"]>>, after: number) {
    return { rows: rows.map((r) => ({ id: r.seq, html: activityRow(r) })).reverse(), after: Math.max(after, ...rows.map((r) => r.seq)) };
  }

  const asset = (name: string, type: string, text: string) =>
    defineRoute({
      operation: "console.asset",
      method: "GET",
      url: `${CONSOLE_ASSETS}/${name}`,
      auth: "none",
      requireApiVersion: false,
      handle: secure(() => ({ status: 200, rawBody: text, headers: { "content-type": type, "cache-control": "no-cache", "x-content-type-options": "nosniff" } })),
    });

  return {
    close() {
      sampler.stop();
      for (const s of streams) s.end();
      streams.clear();
    },
    routes: () => [
      defineRoute({
        operation: "not-found",
        method: "GET",
        url: "/",
        auth: "none",
        requireApiVersion: false,
        handle: (ctx) => {
          // Browsers go to the console; API clients keep the JSON 404.
          if (!/text\/html/.test(ctx.headers.accept ?? "")) throw new AcsError("NotFound", "No operation at GET /.");
          ctx.request.facts.operation = "console.redirect";
          return { status: 302, headers: { location: "/console", "cache-control": "no-store" } };
        },
      }),
      asset("console.js", "text/javascript; charset=utf-8", CONSOLE_JS),
      asset("console.css", "text/css; charset=utf-8", CONSOLE_CSS),
      defineRoute({
        operation: "console.signin",
        method: "GET",
        url: "/console/signin",
        auth: "none",
        requireApiVersion: false,
        handle: secure(async (ctx) => {
          const token = one(ctx.query.token) ?? "";
          const redeemed = await deps.auth.redeem(token);
          if (redeemed === undefined) {
            ctx.annotate({ outcome: "link-refused" });
            return html(
              400,
              layout({ title: "Sign-in link not valid" }, `<p role="alert">This sign-in link is not valid: it was already used or it has expired. Run <code>switchboard console link</code> for a new one.</p>`),
            );
          }
          ctx.request.facts.principal = { kind: "operator", name: `console:${redeemed.session.operator}` };
          ctx.request.facts.activityKeys = [`operator:console:${redeemed.session.operator}`];
          ctx.annotate({ outcome: "signed-in" });
          return redirect("/console", { "set-cookie": ConsoleAuth.setCookie(redeemed.cookie) });
        }),
      }),
      action("/console/api/signout", "console.signout", async (ctx) => {
        await deps.auth.end(parseCookie(ctx.headers.cookie, CONSOLE_COOKIE));
        return html(200, layout({ title: "Signed out" }, `<p>You are signed out of the console.</p>`), { "set-cookie": ConsoleAuth.clearCookie() });
      }),

      page("/console", "console.page", async (ctx, op) => {
        const resources = deps.registry.all().sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || a.name.localeCompare(b.name));
        const r = resourceFor(ctx);
        const now = deps.clock.now();
        const counts = {
          Identities: await count("identities", r.id),
          "Tokens issued today (UTC)": await tokensToday(r.id, now - (now % 86_400_000)),
          "Outbox messages": await count("outbox_messages", r.id),
          Calls: await count("calls", r.id),
          "Chat threads": await count("chat_threads", r.id),
        };
        await sampleTraffic();
        const errors = await deps.activity.recent({ resourceId: r.id, outcome: "failed", afterSeq: Math.max(0, (await deps.activity.lastSeq()) - ERROR_SCAN_ROWS), limit: 10 });
        return html(
          200,
          frame(
            "Overview",
            op,
            overviewBody({
              resources: resources.map((resource) => ({ resource, endpoint: endpointOf(ctx, resource) })),
              counts,
              certificateHint: "The server's certificate is self-signed unless you configured one: trust it with NODE_EXTRA_CA_CERTS=<data dir>/tls/cert.pem (Node) or your system's store.",
            }) + overviewExtras(errors, sampler.points()),
          ),
        );
      }),
      page("/console/resources", "console.page", (ctx, op) =>
        html(
          200,
          frame(
            "Resources",
            op,
            table(
              "Resources",
              ["Name", "Id", "Endpoint", "Host names", "Created"],
              deps.registry.all().map((r) => [esc(r.name) + (r.isDefault ? " (default)" : ""), `<code>${esc(r.id)}</code>`, `<code>${esc(endpointOf(ctx, r))}</code>`, esc(r.hostnames.join(", ")), time(r.createdAt)]),
            ),
          ),
        ),
      ),
      page("/console/keys", "console.page", (ctx, op) => {
        const which = one(ctx.query.confirm);
        const confirm = which === "primary" || which === "secondary" ? { resource: resourceFor(ctx), key: which as KeyName } : undefined;
        return html(200, frame("Keys", op, keysBody(deps.registry.all(), op.session.csrf, confirm)));
      }),
      action("/console/api/keys/regenerate", "keys.regenerate", async (ctx, op, form) => {
        const key = form.key;
        if (key !== "primary" && key !== "secondary") throw new AcsError("ValidationError", "key must be primary or secondary.");
        const resource = resourceFor(ctx, form);
        ctx.request.facts.resourceId = resource.id;
        await authorizeAction(deps.authorizer, op, "keys.regenerate", ctx, resource);
        await deps.resources.regenerateKey(resource.id, key);
        await deps.registry.settled();
        // `key` is a field name the activity record never keeps (it could name a secret): the key's name goes as keyName.
        ctx.annotate({ keyName: key });
        if (wantsJson(ctx)) return { status: 200, body: { resource: resource.id, key, regenerated: true } };
        return redirect("/console/keys");
      }),

      page("/console/identities", "console.page", async (ctx, op) => {
        const resource = resourceFor(ctx);
        const search = (one(ctx.query.q) ?? "").trim().slice(0, 200);
        const listed = await listIdentities(resource, search, one(ctx.query.after));
        return html(200, frame("Identities", op, identitiesBody({ ...listed, search, csrf: op.session.csrf, resource })));
      }),
      api("/console/api/identities", "console.api", async (ctx) => {
        const resource = resourceFor(ctx);
        const listed = await listIdentities(resource, (one(ctx.query.q) ?? "").trim().slice(0, 200), one(ctx.query.after));
        return { status: 200, body: { value: listed.rows, ...(listed.next !== undefined ? { next: listed.next } : {}) }, headers: { "cache-control": "no-store" } };
      }),
      page("/console/identities/:id", "console.page", (ctx, op) => identityPage(ctx, op, resourceFor(ctx), ctx.params.id!)),
      action("/console/api/identities", "identity.create", async (ctx, op, form) => {
        const resource = resourceFor(ctx, form);
        await authorizeAction(deps.authorizer, op, "identity.create", ctx, resource);
        const created = await deps.identities.create(resource, op.principal, {});
        ctx.setSubject(created.id);
        if (wantsJson(ctx)) return { status: 201, body: { id: created.id } };
        return redirect(`/console/identities/${encodeURIComponent(created.id)}`);
      }),
      action("/console/api/identities/:id/token", "identity.issueAccessToken", async (ctx, op, form) => {
        const resource = resourceFor(ctx, form);
        const id = ctx.params.id!;
        await authorizeAction(deps.authorizer, op, "identity.issueAccessToken", ctx, resource);
        const scopes = checkScopes((form.scopes ?? "").split(",").filter((s) => s !== ""));
        const minutes = checkLifetime(form.expiresInMinutes === undefined || form.expiresInMinutes === "" ? 1440 : Number(form.expiresInMinutes));
        ctx.setSubject(id);
        const issued = await deps.identities.issueToken(resource, op.principal, id, scopes, minutes);
        ctx.annotate({ scopes, expiresOn: issued.expiresOn });
        const claims = JSON.parse(Buffer.from(issued.token.split(".")[1] ?? "", "base64url").toString("utf8")) as unknown;
        if (wantsJson(ctx)) return { status: 200, body: { token: issued.token, expiresOn: issued.expiresOn, claims } };
        return identityPage(ctx, op, resource, id, { token: issued.token, expiresOn: issued.expiresOn, claims });
      }),
      action("/console/api/identities/:id/revoke", "identity.revokeAccessTokens", async (ctx, op, form) => {
        const resource = resourceFor(ctx, form);
        await authorizeAction(deps.authorizer, op, "identity.revokeAccessTokens", ctx, resource);
        ctx.setSubject(ctx.params.id!);
        await deps.identities.revokeTokens(resource, ctx.params.id!);
        if (wantsJson(ctx)) return { status: 204 };
        return redirect(`/console/identities/${encodeURIComponent(ctx.params.id!)}`);
      }),
      action("/console/api/identities/:id/delete", "identity.delete", async (ctx, op, form) => {
        const resource = resourceFor(ctx, form);
        await authorizeAction(deps.authorizer, op, "identity.delete", ctx, resource);
        ctx.setSubject(ctx.params.id!);
        await deps.identities.delete(resource, ctx.params.id!);
        if (wantsJson(ctx)) return { status: 204 };
        return redirect(`/console/identities/${encodeURIComponent(ctx.params.id!)}`);
      }),

      page("/console/activity", "console.page", async (ctx, op) => {
        const f = activityFilters(ctx);
        const last = await deps.activity.lastSeq();
        // Every identity's events: the newest SCAN_ROWS rows are searched (a rare filter never reads the whole record).
        const floor = f.identity === "" ? { afterSeq: Math.max(0, last - SCAN_ROWS) } : {};
        const rows = await deps.activity.recent({ ...activityQuery(f), ...floor, limit: 100 });
        return html(200, frame("Activity", op, activityPage(f, rows, Math.max(last, ...rows.map((r) => r.seq)))));
      }),
      api("/console/api/activity", "console.api", async (ctx) => {
        const after = Number(one(ctx.query.after) ?? "0") || Math.max(0, (await deps.activity.lastSeq()) - SCAN_ROWS);
        const rows = await deps.activity.recent({ ...activityQuery(activityFilters(ctx)), afterSeq: after, limit: 100 });
        return { status: 200, body: activityUpdate(rows, after), headers: { "cache-control": "no-store" } };
      }),
      api("/console/api/activity/stream", "console.api", async (ctx) => {
        const f = activityFilters(ctx);
        let after = Number(one(ctx.query.after) ?? "0") || (await deps.activity.lastSeq());
        // Each poll looks a little behind its cursor: on PostgreSQL, a replica's rows may commit after rows with
        // higher ids (sequences are not commit-ordered). Rows already sent are skipped.
        const sent = new Set<number>();
        // What the page already had: the rows at or before its cursor.
        for (const r of await deps.activity.recent({ ...activityQuery(f), afterSeq: Math.max(0, after - TAIL_OVERLAP), limit: 100 })) if (r.seq <= after) sent.add(r.seq);
        return liveStream(streams, ctx, livePollMs, async () => {
          const found = await deps.activity.recent({ ...activityQuery(f), afterSeq: Math.max(0, after - TAIL_OVERLAP), limit: 100 });
          const rows = found.filter((r) => r.seq > after || !sent.has(r.seq));
          if (rows.length === 0) return undefined;
          for (const r of rows) sent.add(r.seq);
          if (sent.size > 4 * TAIL_OVERLAP) for (const seq of sent) if (seq <= after - TAIL_OVERLAP) sent.delete(seq);
          const update = activityUpdate(rows, after);
          after = update.after;
          return update;
        });
      }),
      api("/console/api/calls/live", "console.api", async (ctx) => ({
        status: 200,
        body: { html: liveCallRows(await deps.calls.list({ resourceId: resourceFor(ctx).id, live: true, limit: 50 })) },
        headers: { "cache-control": "no-store" },
      })),
      api("/console/api/calls/live/stream", "console.api", async (ctx) => {
        const resource = resourceFor(ctx);
        let last: string | undefined;
        return liveStream(streams, ctx, livePollMs, async () => {
          const rows = liveCallRows(await deps.calls.list({ resourceId: resource.id, live: true, limit: 50 }));
          if (rows === last) return undefined;
          last = rows;
          return { html: rows };
        });
      }),
      action("/console/api/principals", "principals.create", async (ctx, op, form) => {
        await authorizeAction(deps.authorizer, op, "principals.create", ctx);
        const name = (form.name ?? "").trim();
        if (name === "" || name.length > 100) throw new AcsError("ValidationError", "name: 1 to 100 characters.");
        const taken = () => new AcsError("Conflict", `A service principal named '${name}' exists.`);
        if ((await deps.extra.principals.list("service-principal")).some((p) => p.name === name)) throw taken();
        // Two creations of one name at once: the store's check inside the write refuses the second.
        const created = await deps.extra.principals.createServicePrincipal({ name }).catch((err: unknown) => {
          throw err instanceof Error && /already exists/.test(err.message) ? taken() : err;
        });
        const p = created.principal;
        ctx.annotate({ objectId: p.objectId, clientId: p.clientId!, name });
        const shown = { name, tenantId: p.tenantId, clientId: p.clientId!, objectId: p.objectId, authorityHost: ctx.baseUrl };
        if (wantsJson(ctx)) return { status: 201, body: { ...shown, clientSecret: created.secret!.value } };
        return html(201, frame("Principals", op, principalCreatedBody({ ...shown, secret: created.secret!.value })));
      }),
      action("/console/api/phone-numbers/release", "phoneNumbers.release", async (ctx, op, form) => {
        const resource = resourceFor(ctx, form);
        ctx.request.facts.resourceId = resource.id;
        await authorizeAction(deps.authorizer, op, "phoneNumbers.release", ctx, resource);
        const phoneNumber = form.phoneNumber ?? "";
        const { operationId } = await deps.releasePhoneNumber(resource, phoneNumber);
        ctx.annotate({ phoneNumber, operationId });
        if (wantsJson(ctx)) return { status: 200, body: { phoneNumber, operationId, released: true } };
        return redirect("/console/phone-numbers");
      }),

      page("/console/outbox", "console.page", async (ctx, op) => {
        const since = deps.clock.now();
        const search = (one(ctx.query.q) ?? "").trim().slice(0, 200).toLowerCase();
        const messages = await deps.outbox.list({ resourceId: resourceFor(ctx).id, limit: search === "" ? 100 : 1000 });
        const shown = search === "" ? messages : messages.filter((m) => [m.subject, m.text, m.from, ...m.to].some((f) => f?.toLowerCase().includes(search))).slice(0, 100);
        return html(200, frame("Outbox", op, outboxBody(shown, since, search)));
      }),
      page("/console/outbox/:id", "console.page", async (ctx, op) => {
        const m = await deps.outbox.get(ctx.params.id!);
        if (m === undefined) return html(404, frame("Message not found", op, `<p>No message with that id.</p>`, "Outbox"));
        const resource = deps.registry.get(m.resourceId);
        const report =
          m.kind !== "sms" || resource === undefined ? "" : deliveryReportBody(await deps.smsDeliveryReport(resource, m.id), m.deliveryReportRequested === true);
        return html(200, frame(m.kind === "email" ? (m.subject ?? "E-mail") : "SMS", op, outboxMessageBody(m, report), "Outbox"));
      }),
      api("/console/api/outbox", "console.api", async (ctx) => {
        const limit = Math.min(Math.max(Number(one(ctx.query.limit) ?? 50) || 50, 1), 200);
        const messages = await deps.outbox.list({ resourceId: resourceFor(ctx).id, limit });
        return { status: 200, body: { value: messages.map(listView) }, headers: { "cache-control": "no-store" } };
      }),
      api("/console/api/outbox/stream", "console.api", async (ctx) => outboxStream(ctx, resourceFor(ctx))),
      api("/console/api/outbox/:id/html", "console.api", async (ctx) => {
        const m = await deps.outbox.get(ctx.params.id!);
        if (m === undefined || m.html === undefined) throw new AcsError("NotFound", "No HTML part for that message.");
        return {
          status: 200,
          rawBody: m.html,
          headers: {
            "content-type": "text/html; charset=utf-8",
            "cache-control": "no-store",
            // The message's HTML runs nothing and loads nothing from the network; only this console may frame it.
            "content-security-policy": "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'",
            "x-frame-options": "SAMEORIGIN",
            "referrer-policy": "no-referrer",
            "x-content-type-options": "nosniff",
          },
        };
      }),
      action("/console/api/signing-keys/rotate", "signingKeys.rotate", async (ctx, op) => {
        await authorizeAction(deps.authorizer, op, "signingKeys.rotate", ctx);
        const kid = await deps.rotateSigningKey();
        ctx.annotate({ kid });
        if (wantsJson(ctx)) return { status: 200, body: { kid } };
        return redirect("/console/signing-keys");
      }),
      action("/console/api/roles/assign", "roles.assign", async (ctx, op, form) => {
        requireOperator(op);
        const principal = form.principal === undefined ? undefined : await deps.extra.principals.find(form.principal);
        if (principal === undefined) throw new AcsError("ValidationError", "principal: no such principal.");
        const scope = form.scope === "*" ? "*" : deps.registry.get(form.scope ?? "")?.id;
        if (scope === undefined) throw new AcsError("ValidationError", "scope: every resource (*) or a resource id.");
        if ((await deps.extra.roles.findDefinition(form.role ?? "")) === undefined) throw new AcsError("ValidationError", "role: no such role.");
        await deps.extra.roles.assign(principal.objectId, form.role!, scope);
        ctx.annotate({ principal: principal.objectId, role: form.role!, scope });
        if (wantsJson(ctx)) return { status: 200, body: { principal: principal.objectId, role: form.role, scope } };
        return redirect("/console/roles");
      }),
      action("/console/api/roles/remove", "roles.remove", async (ctx, op, form) => {
        requireOperator(op);
        const removed = await deps.extra.roles.remove(form.principal ?? "", form.role ?? "", form.scope ?? "");
        if (!removed) throw new AcsError("NotFound", "No such role assignment.");
        ctx.annotate({ principal: form.principal!, role: form.role!, scope: form.scope! });
        if (wantsJson(ctx)) return { status: 204 };
        return redirect("/console/roles");
      }),
      ...(deps.userSignin === undefined ? [] : userSigninRoutes({ ...deps.userSignin, auth: deps.auth, secure })),
      ...extraPages({ ...deps.extra, trafficCharts: async () => trafficCharts(await sampleTraffic()) }).map((p) => page(p.url, "console.page", async (ctx, op) => html(200, frame(p.title, op, await p.body(resourceFor(ctx), op.session.csrf, ctx.query))))),
    ],
  };
}
