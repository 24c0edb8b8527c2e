import type { RecentEvent } from "../activity/activity-repository.js";
import type { CallRecord } from "../calling/call-record.js";
import type { Resource } from "../resources/resource.js";
import type { DeliveryReportData } from "../sms/delivery-report.js";
import { csrfField, esc, secretField, table, time } from "./console-html.js";
import { lineChart } from "./console-live.js";
import { ACTIVITY_SINCE } from "./console-pages.js";

/** The Activity page's filters, as the page, its JSON endpoint and its stream read them from the query. */
export interface ActivityFilters {
  identity: string;
  operation: string;
  outcome: "" | "succeeded" | "failed";
  since: string;
}

export function activityQueryString(f: ActivityFilters): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v !== "") q.set(k, v);
  return q.toString();
}

/** One row of the Activity page's table (also what the live tail inserts). `data-id`: the row id, the tail's cursor. */
export function activityRow({ seq, event: e }: RecentEvent): string {
  return `<tr data-id="${seq}"><td>${time(e.time)}</td><td>${esc(e.operation)}</td><td>${esc(e.outcome)}${e.status !== undefined ? ` (${e.status})` : ""}</td><td>${esc(e.principal ?? "")}</td><td>${esc(e.subjects.join(", "))}</td><td>${esc(e.fields === undefined ? "" : JSON.stringify(e.fields))}</td></tr>`;
}

function select(id: string, label: string, options: Array<[string, string]>, value: string): string {
  return `<label for="${id}">${label}</label> <select id="${id}" name="${id}">${options
    .map(([v, text]) => `<option value="${esc(v)}"${v === value ? " selected" : ""}>${esc(text)}</option>`)
    .join("")}</select>`;
}

/**
 * The Activity page: the filters, then the newest events that match (every identity's, and the console's own
 * actions, when no identity is given), updated live: new rows come from the stream (or the poll) after `afterSeq`.
 */
export function activityPage(f: ActivityFilters, rows: RecentEvent[], afterSeq: number): string {
  const qs = activityQueryString(f);
  return `<form method="get" action="/console/activity" role="search">
<label for="identity">Identity</label> <input id="identity" name="identity" type="search" value="${esc(f.identity)}" size="60" aria-describedby="identity-hint">
<label for="operation">Operation</label> <input id="operation" name="operation" value="${esc(f.operation)}" placeholder="e.g. chat.*">
${select("outcome", "Outcome", [["", "Any"], ["succeeded", "Succeeded"], ["failed", "Failed"]], f.outcome)}
${select("since", "Time range", [["", "All"], ["1h", "Last hour"], ["24h", "Last 24 hours"], ["7d", "Last 7 days"]], f.since)}
<button type="submit">Show activity</button>
<p id="identity-hint" class="hint">An identity id, or a principal such as <code>operator:console:alice</code> for the console actions of an operator. Empty: everything, newest first.</p></form>
<p id="activity-rows-status" role="status" aria-live="polite"></p>
<p id="activity-rows-empty"${rows.length === 0 ? "" : " hidden"}>No activity recorded.</p>
<table${rows.length === 0 ? " hidden" : ""}><caption>Activity</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Operation</th><th scope="col">Outcome</th><th scope="col">Principal</th><th scope="col">Subjects</th><th scope="col">Details</th></tr></thead>
<tbody id="activity-rows" data-live="/console/api/activity?${esc(qs)}" data-stream="/console/api/activity/stream?${esc(qs)}" data-after="${afterSeq}">${rows.map(activityRow).join("")}</tbody></table>`;
}

export function sinceOf(since: string, now: number): number | undefined {
  const range = ACTIVITY_SINCE[since];
  return range === undefined ? undefined : now - range;
}

/** The Overview's recent errors (failed events of the resource) and its request-rate and latency charts. */
export function overviewExtras(errors: RecentEvent[], points: Array<{ rate: number; latencyMs: number }>): string {
  const errorTable = table(
    "Recent errors",
    ["Time", "Operation", "Status", "Error", "Principal"],
    errors.map(({ event: e }) => [time(e.time), esc(e.operation), esc(e.status ?? ""), esc(e.errorCode ?? ""), esc(e.principal ?? "")]),
    "No failed request in the activity record.",
  );
  return `${trafficCharts(points)}
${errorTable}`;
}

/** The request-rate and latency charts of this server process (Overview and Metrics pages). */
export function trafficCharts(points: Array<{ rate: number; latencyMs: number }>): string {
  return `<section aria-labelledby="traffic-h"><h2 id="traffic-h">Traffic (this server process)</h2>
<div class="charts">${lineChart("chart-rate", "Requests per second", "req/s", points.map((p) => p.rate))}
${lineChart("chart-latency", "Mean latency", "ms", points.map((p) => p.latencyMs))}</div></section>`;
}

/** The page shown once after creating a service principal: its secret is not stored (only its hash) and never shown again. */
export function principalCreatedBody(p: { name: string; tenantId: string; clientId: string; objectId: string; secret: string; authorityHost: string }): string {
  return `<section aria-labelledby="created-h" class="notice"><h2 id="created-h">Service principal ${esc(p.name)} created</h2>
<p role="alert">Copy the client secret now: only its hash is stored, and it is not shown again.</p>
${table("Service principal", ["Field", "Value"], [
  ["Tenant id", `<code>${esc(p.tenantId)}</code>`],
  ["Client id", `<code>${esc(p.clientId)}</code>`],
  ["Object id", `<code>${esc(p.objectId)}</code>`],
  ["Authority host", `<code>${esc(p.authorityHost)}</code>`],
])}
${secretField("client-secret", "Client secret", p.secret)}
<p>Give it a role on the <a href="/console/roles">Roles</a> page. Environment for DefaultAzureCredential: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST.</p>
</section><p><a href="/console/principals">Back to the principals</a></p>`;
}

export function createPrincipalForm(csrf: string): string {
  return `<form method="post" action="/console/api/principals">${csrfField(csrf)}<label for="sp-name">Service principal name</label> <input id="sp-name" name="name" required maxlength="100"> <button type="submit">Create service principal</button></form>`;
}

export function releaseButton(resource: Resource, number: string): string {
  return `<form method="get" action="/console/phone-numbers"><input type="hidden" name="resource" value="${esc(resource.id)}"><input type="hidden" name="confirm" value="${esc(number)}"><button type="submit" aria-label="Release ${esc(number)}">Release</button></form>`;
}

export function releaseConfirm(resource: Resource, number: string, csrf: string): string {
  return `<section aria-labelledby="confirm-h" class="notice">
<h2 id="confirm-h">Release ${esc(number)} from ${esc(resource.name)}?</h2>
<p>The number leaves the resource and returns to the inventory: SMS from it are refused at once.</p>
<form method="post" action="/console/api/phone-numbers/release">${csrfField(csrf)}<input type="hidden" name="resource" value="${esc(resource.id)}"><input type="hidden" name="phoneNumber" value="${esc(number)}">
<button type="submit" class="danger">Yes, release ${esc(number)}</button> <a href="/console/phone-numbers">Cancel</a></form></section>`;
}

/** An SMS's delivery report as GET /deliveryReports/{id} and the delivery-report event give it. */
export function deliveryReportBody(report: DeliveryReportData | undefined, requested: boolean): string {
  if (report === undefined) return `<h2>Delivery report</h2><p>No delivery report for this message.</p>`;
  return (
    table("Delivery report", ["Field", "Value"], [
      ["Status", esc(report.deliveryStatus)],
      ["Details", esc(report.deliveryStatusDetails)],
      ["Received", time(report.receivedTimestamp)],
      ["Report requested by the sender", requested ? "Yes (sent as an SMSDeliveryReportReceived event)" : "No (available from GET /deliveryReports/{id})"],
      ...(report.tag !== undefined ? [["Tag", esc(report.tag)]] : []),
    ]) +
    table(
      "Delivery attempts",
      ["Time", "Segments succeeded", "Segments failed"],
      report.deliveryAttempts.map((a) => [time(a.timestamp), esc(a.segmentsSucceeded), esc(a.segmentsFailed)]),
    )
  );
}

/** The rows of the Calls page's live table (replaced as a whole on every change). */
export function liveCallRows(calls: CallRecord[]): string {
  return calls
    .map(
      (c) =>
        `<tr data-id="${esc(c.id)}"><td>${time(c.startedAt)}</td><td><code>${esc(c.id)}</code></td><td>${esc(c.caller)}</td><td>${esc(
          c.participants.map((p) => `${p.identity} (${p.outcome === "joined" && p.leftAt !== null ? "left" : p.outcome})`).join(", "),
        )}</td><td>${c.answeredAt === null ? "Ringing" : "Connected"}${c.video ? ", video" : ""}</td></tr>`,
    )
    .join("");
}

export function liveCallsTable(resource: Resource, calls: CallRecord[]): string {
  const q = `resource=${encodeURIComponent(resource.id)}`;
  return `<p id="live-calls-status" role="status" aria-live="polite"></p>
<p id="live-calls-empty"${calls.length === 0 ? "" : " hidden"}>No live calls. Calls in progress appear here as they start.</p>
<table${calls.length === 0 ? " hidden" : ""}><caption>Live calls</caption>
<thead><tr><th scope="col">Started</th><th scope="col">Call</th><th scope="col">Caller</th><th scope="col">Participants</th><th scope="col">State</th></tr></thead>
<tbody id="live-calls" data-live="/console/api/calls/live?${esc(q)}" data-stream="/console/api/calls/live/stream?${esc(q)}">${liveCallRows(calls)}</tbody></table>`;
}
