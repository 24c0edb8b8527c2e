/** The console's page frame: navigation, headers (strict CSP) and HTML escaping. No inline script or style. */
export const CONSOLE_ASSETS = "/console/assets";

export const NAV: ReadonlyArray<{ name: string; path: string }> = [
  { name: "Overview", path: "/console" },
  { name: "Resources", path: "/console/resources" },
  { name: "Keys", path: "/console/keys" },
  { name: "Identities", path: "/console/identities" },
  { name: "Activity", path: "/console/activity" },
  { name: "Outbox", path: "/console/outbox" },
  { name: "Phone numbers", path: "/console/phone-numbers" },
  { name: "Chat", path: "/console/chat" },
  { name: "Calls", path: "/console/calls" },
  { name: "Principals", path: "/console/principals" },
  { name: "Roles", path: "/console/roles" },
  { name: "Signing keys", path: "/console/signing-keys" },
  { name: "Metrics", path: "/console/metrics" },
];

export function esc(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

export function pageHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": CONSOLE_CSP,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    ...extra,
  };
}

export interface Frame {
  title: string;
  /** The nav entry shown as current. */
  current?: string;
  operator?: string;
  csrf?: string;
}

export function layout(frame: Frame, body: string): string {
  const nav =
    frame.operator === undefined
      ? ""
      : `<nav aria-label="Console"><ul>${NAV.map(
          (n) => `<li><a href="${n.path}"${n.name === frame.current ? ' aria-current="page"' : ""}>${esc(n.name)}</a></li>`,
        ).join("")}</ul></nav>`;
  const who =
    frame.operator === undefined
      ? ""
      : `<form method="post" action="/console/api/signout" class="who"><span>Signed in as ${esc(frame.operator)}</span> ${csrfField(frame.csrf)}<button type="submit">Sign out</button></form>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${frame.csrf === undefined ? "" : `<meta name="csrf-token" content="${esc(frame.csrf)}">`}
<title>${esc(frame.title)} · Switchboard console</title>
<link rel="stylesheet" href="${CONSOLE_ASSETS}/console.css">
<script src="${CONSOLE_ASSETS}/console.js" defer></script>
</head>
<body${frame.operator === undefined ? ' class="bare"' : ""}>
<header><a class="brand" href="/console">Switchboard</a>${who}</header>
${nav}
<main id="main">
<h1>${esc(frame.title)}</h1>
${body}
</main>
</body>
</html>
`;
}

export function csrfField(csrf: string | undefined): string {
  return csrf === undefined ? "" : `<input type="hidden" name="csrf" value="${esc(csrf)}">`;
}

/** A table with a caption (its accessible name) and a row per item; `empty` when there are none. */
export function table(caption: string, headers: string[], rows: string[][], empty = "None yet."): string {
  if (rows.length === 0) return `<h2>${esc(caption)}</h2><p>${esc(empty)}</p>`;
  return `<table><caption>${esc(caption)}</caption><thead><tr>${headers.map((h) => `<th scope="col">${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

/** A secret shown masked, with Reveal and Copy buttons (console.js makes them work). */
export function secretField(id: string, label: string, value: string): string {
  return `<div class="secret"><label for="${esc(id)}">${esc(label)}</label>
<input id="${esc(id)}" type="password" readonly value="${esc(value)}" autocomplete="off" spellcheck="false">
<button type="button" data-reveal="${esc(id)}" aria-label="Reveal ${esc(label.toLowerCase())}">Reveal</button>
<button type="button" data-copy="${esc(id)}" aria-label="Copy ${esc(label.toLowerCase())}">Copy</button></div>`;
}

export function time(ms: number | string): string {
  const iso = typeof ms === "number" ? new Date(ms).toISOString() : ms;
  return `<time datetime="${esc(iso)}">${esc(iso.replace("T", " ").replace(/\.\d+Z$/, "Z"))}</time>`;
}
