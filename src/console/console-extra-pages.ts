import type { CallRepository } from "../calling/call-repository.js";
import type { EntraPrincipals } from "../idp/entra-principals.js";
import type { RoleStore } from "../rbac/role-store.js";
import type { Resource } from "../resources/resource.js";
import type { Store } from "../store/store.js";
import { csrfField, esc, table, time } from "./console-html.js";
import { ConsoleViewRepository } from "./console-repository.js";
import { createPrincipalForm, liveCallsTable, releaseButton, releaseConfirm } from "./console-views.js";

export interface ExtraPageDeps {
  store: Store;
  calls: CallRepository;
  principals: EntraPrincipals;
  roles: RoleStore;
  /** The Prometheus text of /metrics, or undefined when metrics are off. */
  metrics(): Promise<string | undefined>;
  /** The request-rate and latency charts (HTML), sampled from the metrics; absent: no charts. */
  trafficCharts?(): Promise<string>;
}

export interface ExtraPage {
  url: string;
  title: string;
  /** `csrf`: the session's token, for the page's forms; `query`: the page's query string. */
  body(resource: Resource, csrf: string, query: Record<string, string | string[] | undefined>): Promise<string>;
}

const LIMIT = 200;

function duration(ms: number | null): string {
  return ms === null ? "" : `${Math.round(ms / 1000)} s`;
}

/** The metrics text as a table of samples (comments and histogram buckets left out). */
export function metricsRows(text: string): string[][] {
  return text
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#") && !/_bucket\{/.test(l))
    .slice(0, 500)
    .map((l) => {
      const at = l.lastIndexOf(" ");
      return [`<code>${esc(l.slice(0, at))}</code>`, esc(l.slice(at + 1))];
    });
}

/** The read-only pages: Phone numbers, Chat, Calls, Principals, Roles, Signing keys, Metrics. */
export function extraPages(deps: ExtraPageDeps): ExtraPage[] {
  const views = new ConsoleViewRepository(deps.store);
  return [
    {
      url: "/console/phone-numbers",
      title: "Phone numbers",
      async body(r, csrf, query) {
        const rows = await views.phoneNumbers(r.id, LIMIT);
        const confirm = typeof query.confirm === "string" ? rows.find((n) => n.phone_number === query.confirm) : undefined;
        return (confirm === undefined ? "" : releaseConfirm(r, confirm.phone_number, csrf)) + table(
          "Owned phone numbers",
          ["Number", "Country", "Type", "Calling", "SMS", "Purchased", "Action"],
          rows.map((n) => [esc(n.phone_number), esc(n.country_code), esc(n.phone_number_type), esc(n.calling), esc(n.sms), time(Number(n.purchased_at)), releaseButton(r, n.phone_number)]),
          "No phone numbers purchased.",
        );
      },
    },
    {
      url: "/console/chat",
      title: "Chat",
      async body(r) {
        const rows = await views.chatThreads(r.id, LIMIT);
        return table(
          "Chat threads",
          ["Topic", "Thread", "Created by", "Created", "Messages"],
          rows.map((t) => [esc(t.topic), `<code>${esc(t.id)}</code>`, esc(t.created_by), time(Number(t.created_at)), esc(t.last_sequence_id)]),
          "No chat threads.",
        );
      },
    },
    {
      url: "/console/calls",
      title: "Calls",
      async body(r) {
        const [live, calls] = await Promise.all([deps.calls.list({ resourceId: r.id, live: true, limit: 50 }), deps.calls.list({ resourceId: r.id, limit: LIMIT })]);
        return liveCallsTable(r, live) + table(
          "Calls, newest first",
          ["Started", "Caller", "Participants", "State", "Duration"],
          calls.map((c) => [
            time(c.startedAt),
            esc(c.caller),
            esc(c.participants.map((p) => `${p.identity} (${p.outcome})`).join(", ")),
            c.endedAt === null ? "Live" : esc(c.endReason ?? "Ended"),
            duration(c.durationMs),
          ]),
          "No calls.",
        );
      },
    },
    {
      url: "/console/principals",
      title: "Principals",
      async body(_r, csrf) {
        const list = await deps.principals.list();
        return createPrincipalForm(csrf) + table(
          "Principals",
          ["Name", "Kind", "Object id", "Client id", "Enabled", "Created"],
          list.map((p) => [esc(p.name), esc(p.kind), `<code>${esc(p.objectId)}</code>`, esc(p.clientId ?? ""), p.enabled ? "Yes" : "No", time(p.createdAt)]),
          "No principals. Create a service principal above, or with switchboard sp create (users: switchboard user create).",
        );
      },
    },
    {
      url: "/console/roles",
      title: "Roles",
      async body(r, csrf) {
        const [definitions, assignments, principals] = await Promise.all([deps.roles.definitions(), deps.roles.assignments(), deps.principals.list()]);
        const names = new Map(principals.map((p) => [p.objectId, p.name]));
        const option = (v: string, text: string) => `<option value="${esc(v)}">${esc(text)}</option>`;
        const assign = `<form method="post" action="/console/api/roles/assign">${csrfField(csrf)}
<label for="principal">Principal</label> <select id="principal" name="principal">${principals.map((p) => option(p.objectId, `${p.name} (${p.kind})`)).join("")}</select>
<label for="role">Role</label> <select id="role" name="role">${definitions.map((d) => option(d.name, d.name)).join("")}</select>
<label for="scope">Scope</label> <select id="scope" name="scope">${option("*", "Every resource")}${option(r.id, `Resource ${r.name}`)}</select>
<button type="submit">Assign role</button></form>`;
        return (
          (principals.length === 0 ? "" : assign) +
          table(
            "Role assignments",
            ["Principal", "Role", "Scope", "Created", "Action"],
            assignments.map((a) => {
              const who = names.get(a.principalId) ?? a.principalId;
              return [
                `${esc(who)}<br><code>${esc(a.principalId)}</code>`,
                esc(a.roleName),
                a.scope === "*" ? "Every resource" : esc(a.scope),
                time(a.createdAt),
                `<form method="post" action="/console/api/roles/remove">${csrfField(csrf)}<input type="hidden" name="principal" value="${esc(a.principalId)}"><input type="hidden" name="role" value="${esc(a.roleName)}"><input type="hidden" name="scope" value="${esc(a.scope)}"><button type="submit" aria-label="Remove ${esc(a.roleName)} from ${esc(who)}">Remove</button></form>`,
              ];
            }),
            "No role assignments.",
          ) +
          table("Role definitions", ["Name", "Description"], definitions.map((d) => [esc(d.name), esc(d.description)]))
        );
      },
    },
    {
      url: "/console/signing-keys",
      title: "Signing keys",
      async body(_r, csrf) {
        const rows = await views.signingKeys(LIMIT);
        const rotate = `<form method="post" action="/console/api/signing-keys/rotate">${csrfField(csrf)}<button type="submit">Rotate signing key</button></form>
<p>Rotating starts signing new user tokens with a new key; tokens signed with older keys stay valid until they expire.</p>`;
        return rotate + table(
          "User-token signing keys",
          ["Key id", "Created", "State"],
          rows.map((k) => [`<code>${esc(k.kid)}</code>`, time(Number(k.created_at)), k.retired_at === null ? "Active" : `Retired ${time(Number(k.retired_at))}`]),
        );
      },
    },
    {
      url: "/console/metrics",
      title: "Metrics",
      async body() {
        const text = await deps.metrics();
        if (text === undefined) return "<p>Metrics are turned off in the configuration.</p>";
        const charts = deps.trafficCharts === undefined ? "" : await deps.trafficCharts();
        return charts + table("Metrics", ["Series", "Value"], metricsRows(text));
      },
    },
  ];
}
