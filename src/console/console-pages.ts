import type { ActivityEvent } from "../activity/activity-event.js";
import type { OutboxView } from "../outbox/outbox-repository.js";
import { connectionString, type KeyName, type Resource } from "../resources/resource.js";
import { csrfField, esc, secretField, table, time } from "./console-html.js";

export interface IdentityRow {
  id: string;
  createdAt: number;
  deletedAt: number | null;
  revokedAt: number | null;
}

export function resourceHidden(resource: Resource): string {
  return `<input type="hidden" name="resource" value="${esc(resource.id)}">`;
}

export function overviewBody(options: {
  resources: Array<{ resource: Resource; endpoint: string }>;
  counts: Record<string, number>;
  certificateHint: string;
}): string {
  const blocks = options.resources
    .map(
      ({ resource, endpoint }) => `<section aria-labelledby="res-${esc(resource.id)}">
<h2 id="res-${esc(resource.id)}">${esc(resource.name)}${resource.isDefault ? " (default)" : ""}</h2>
<p>Endpoint: <code>${esc(endpoint)}</code></p>
${secretField(`cs-primary-${resource.id}`, "Primary connection string", connectionString(endpoint, resource.keys.primary.value))}
${secretField(`cs-secondary-${resource.id}`, "Secondary connection string", connectionString(endpoint, resource.keys.secondary.value))}
</section>`,
    )
    .join("\n");
  const counts = table(
    "Counts",
    ["What", "How many"],
    Object.entries(options.counts).map(([k, v]) => [esc(k), esc(v)]),
  );
  return `${blocks}
<p class="notice">${esc(options.certificateHint)}</p>
${counts}`;
}

export function keysBody(resources: Resource[], csrf: string, confirm?: { resource: Resource; key: KeyName }): string {
  if (confirm !== undefined) {
    return `<section aria-labelledby="confirm-h" class="notice">
<h2 id="confirm-h">Regenerate the ${confirm.key} key of ${esc(confirm.resource.name)}?</h2>
<p>Applications that use the current ${confirm.key} key stop working within a second.</p>
<form method="post" action="/console/api/keys/regenerate">${csrfField(csrf)}${resourceHidden(confirm.resource)}
<input type="hidden" name="key" value="${confirm.key}">
<button type="submit" class="danger">Yes, regenerate the ${confirm.key} key</button> <a href="/console/keys">Cancel</a></form>
</section>`;
  }
  return resources
    .map(
      (r) => `<section aria-labelledby="keys-${esc(r.id)}"><h2 id="keys-${esc(r.id)}">${esc(r.name)}</h2>
${(["primary", "secondary"] as const)
  .map(
    (k) => `${secretField(`key-${k}-${r.id}`, `${k === "primary" ? "Primary" : "Secondary"} key`, r.keys[k].value)}
<form method="get" action="/console/keys">${resourceHidden(r)}<input type="hidden" name="confirm" value="${k}"><button type="submit">Regenerate ${k} key</button></form>`,
  )
  .join("\n")}
</section>`,
    )
    .join("\n");
}

export function identitiesBody(options: { rows: IdentityRow[]; search: string; next?: string; csrf: string; resource: Resource }): string {
  const rows = options.rows.map((r) => [
    `<a href="/console/identities/${encodeURIComponent(r.id)}">${esc(r.id)}</a>`,
    time(r.createdAt),
    r.deletedAt !== null ? "Deleted" : r.revokedAt !== null ? "Tokens revoked" : "Active",
  ]);
  const more = options.next === undefined ? "" : `<p><a href="/console/identities?after=${encodeURIComponent(options.next)}${options.search ? `&q=${encodeURIComponent(options.search)}` : ""}">Next page</a></p>`;
  return `<form method="post" action="/console/api/identities">${csrfField(options.csrf)}${resourceHidden(options.resource)}<button type="submit">Create identity</button></form>
<form method="get" action="/console/identities" role="search"><label for="q">Search by id</label> <input id="q" name="q" type="search" value="${esc(options.search)}"> <button type="submit">Search</button></form>
${table("Identities", ["Identity", "Created", "State"], rows, options.search ? "No identity matches." : "No identities yet.")}
${more}`;
}

function activityTable(caption: string, events: ActivityEvent[]): string {
  return table(
    caption,
    ["Time", "Operation", "Outcome", "Principal", "Details"],
    events.map((e) => [time(e.time), esc(e.operation), esc(e.outcome), esc(e.principal ?? ""), esc(e.fields === undefined ? "" : JSON.stringify(e.fields))]),
    "No activity recorded.",
  );
}

export function identityBody(options: {
  identity: IdentityRow;
  csrf: string;
  resource: Resource;
  events: ActivityEvent[];
  issued?: { token: string; expiresOn: string; claims: unknown };
}): string {
  const id = options.identity.id;
  const base = `/console/api/identities/${encodeURIComponent(id)}`;
  const live = options.identity.deletedAt === null;
  const issued =
    options.issued === undefined
      ? ""
      : `<section aria-labelledby="issued-h" class="notice"><h2 id="issued-h">Token issued</h2>
<p>Copy it now: it is not shown again. Expires ${esc(options.issued.expiresOn)}.</p>
<label for="issued-token">Access token</label>
<textarea id="issued-token" class="token" readonly>${esc(options.issued.token)}</textarea>
<h3>Decoded claims</h3><pre aria-label="Decoded claims">${esc(JSON.stringify(options.issued.claims, null, 2))}</pre></section>`;
  const actions = !live
    ? `<p>This identity is deleted.</p>`
    : `<form method="post" action="${base}/token">${csrfField(options.csrf)}${resourceHidden(options.resource)}
<fieldset><legend>Scopes</legend>
${["chat", "voip", "chat.join", "chat.join.limited", "voip.join"].map((s) => `<label><input type="checkbox" name="scopes" value="${s}"${s === "chat" ? " checked" : ""}> ${s}</label>`).join("\n")}
</fieldset>
<p><label for="lifetime">Lifetime (minutes)</label> <input id="lifetime" name="expiresInMinutes" type="number" min="60" max="1440" value="1440"></p>
<button type="submit">Issue token</button></form>
<form method="post" action="${base}/revoke" class="inline">${csrfField(options.csrf)}${resourceHidden(options.resource)}<button type="submit">Revoke tokens</button></form>
<form method="post" action="${base}/delete" class="inline">${csrfField(options.csrf)}${resourceHidden(options.resource)}<button type="submit" class="danger">Delete</button></form>`;
  const created = options.events.filter((e) => e.operation === "identity.create").length;
  const tokens = options.events.filter((e) => e.operation === "identity.issueAccessToken").length;
  return `<p><code>${esc(id)}</code></p>
<p>Created ${time(options.identity.createdAt)}${options.identity.revokedAt !== null ? `; tokens revoked ${time(options.identity.revokedAt)}` : ""}.</p>
${issued}
${actions}
<h2>Summary</h2><p>${created > 0 ? "Creation recorded" : "Creation not in the record"}; ${tokens} token${tokens === 1 ? "" : "s"} issued; ${options.events.length} event${options.events.length === 1 ? "" : "s"} shown.</p>
${activityTable("Activity timeline", options.events)}`;
}

export const ACTIVITY_SINCE: Readonly<Record<string, number>> = { "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000 };

function outboxRow(m: OutboxView): string {
  const label = m.kind === "email" ? (m.subject ?? "(no subject)") : (m.text ?? "(empty)");
  return `<tr data-id="${esc(m.id)}"><td>${time(m.createdAt)}</td><td>${m.kind === "email" ? "E-mail" : "SMS"}</td><td>${esc(m.from)}</td><td>${esc(m.to.join(", "))}</td><td><a href="/console/outbox/${encodeURIComponent(m.id)}">${esc(label)}</a></td></tr>`;
}

/** `since`: when the page was rendered (epoch ms): the live stream sends every message from then on. */
export function outboxBody(messages: OutboxView[], since: number, search = ""): string {
  // While searching, the list is the search's answer: no live rows are added (the script finds no #outbox-rows).
  const rowsId = search === "" ? "outbox-rows" : "outbox-results";
  return `<form method="get" action="/console/outbox" role="search"><label for="q">Search messages</label> <input id="q" name="q" type="search" value="${esc(search)}"> <button type="submit">Search</button>${search === "" ? "" : ` <a href="/console/outbox">Show all, live</a>`}</form>
<p id="outbox-status" role="status" aria-live="polite"></p>
${messages.length === 0 ? `<p id="outbox-empty">${search === "" ? "No messages yet. New ones appear here as they are sent." : "No message matches."}</p>` : ""}
<table id="outbox-table" data-since="${since}"${messages.length === 0 ? " hidden" : ""}><caption>Messages, newest first</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Kind</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Subject or text</th></tr></thead>
<tbody id="${rowsId}">${messages.map(outboxRow).join("")}</tbody></table>`;
}

/** `extra`: HTML shown after the message (an SMS's delivery report). */
export function outboxMessageBody(m: OutboxView, extra = ""): string {
  const { id, kind, from, to, subject, text, html, createdAt, resourceId, principal, content: _content, ...rest } = m;
  const headers = table(
    "Headers",
    ["Field", "Value"],
    [
      ["Id", esc(id)],
      ["Kind", kind === "email" ? "E-mail" : "SMS"],
      ["From", esc(from)],
      ["To", esc(to.join(", "))],
      ...(subject !== undefined ? [["Subject", esc(subject)]] : []),
      ["Sent", time(createdAt)],
      ["Resource", esc(resourceId)],
      ["Sent by", esc(principal)],
    ],
  );
  const htmlPart =
    html === undefined
      ? ""
      : `<h2>HTML</h2><iframe title="E-mail HTML" sandbox="" referrerpolicy="no-referrer" src="/console/api/outbox/${encodeURIComponent(id)}/html"></iframe>`;
  const textPart = text === undefined ? "" : `<h2>${kind === "email" ? "Text" : "Message"}</h2><pre>${esc(text)}</pre>`;
  const details = Object.keys(rest).length === 0 ? "" : `<h2>Details</h2><pre aria-label="Details">${esc(JSON.stringify(rest, null, 2))}</pre>`;
  return `${headers}${htmlPart}${textPart}${details}${extra}<p><a href="/console/outbox">Back to the outbox</a></p>`;
}
