/**
 * The console's only script and stylesheet, served from this server (CSP script-src 'self'). The script is
 * progressive: every page works without it; it adds reveal/copy of secrets, the live outbox and the live tables of
 * the Activity and Calls pages (Server-Sent Events, polling when EventSource is unavailable or fails). Budget: script and stylesheet under 8 KiB each.
 */
export const CONSOLE_JS = `"use strict";
(function () {
  function byId(id) { return document.getElementById(id); }
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof HTMLElement)) return;
    var reveal = t.getAttribute("data-reveal");
    if (reveal) {
      var input = byId(reveal);
      var shown = input.type === "text";
      input.type = shown ? "password" : "text";
      t.textContent = shown ? "Reveal" : "Hide";
      t.setAttribute("aria-pressed", shown ? "false" : "true");
    }
    var copy = t.getAttribute("data-copy");
    if (copy && navigator.clipboard) {
      navigator.clipboard.writeText(byId(copy).value).then(function () { t.textContent = "Copied"; }, function () { t.textContent = "Copy failed"; });
    }
  });

  // Live tables (Activity, live calls): data-live answers JSON, data-stream sends the same JSON as SSE "update"
  // events: {rows: [{id, html}], after} adds rows (oldest first), {html} replaces the table's rows.
  var live = document.querySelector("tbody[data-live]");
  if (live) (function () {
    var after = live.getAttribute("data-after") || "";
    var note = byId(live.id + "-status");
    function url(a) { var u = live.getAttribute(a); return u + (u.indexOf("?") < 0 ? "?" : "&") + "after=" + after; }
    function apply(d) {
      if (d.html !== undefined) { if (live.innerHTML !== d.html) live.innerHTML = d.html; }
      else d.rows.forEach(function (r) { if (!live.querySelector('tr[data-id="' + r.id + '"]')) live.insertAdjacentHTML("afterbegin", r.html); });
      if (d.after !== undefined) after = d.after;
      var n = live.rows.length;
      live.parentNode.hidden = !n;
      var empty = byId(live.id + "-empty");
      if (empty) empty.hidden = !!n;
      if (note && d.rows && d.rows.length) note.textContent = d.rows.length + " new";
    }
    function poll() {
      fetch(url("data-live"), { credentials: "same-origin", headers: { accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : undefined; })
        .then(function (d) { if (d) apply(d); })
        .catch(function () {})
        .then(function () { setTimeout(poll, 2000); });
    }
    if (!window.EventSource) return poll();
    var es = new EventSource(url("data-stream"));
    var opened = false;
    es.onopen = function () { opened = true; };
    es.addEventListener("update", function (e) { apply(JSON.parse(e.data)); });
    es.onerror = function () { if (!opened) { es.close(); poll(); } };
  })();

  var list = byId("outbox-rows");
  if (!list) return;
  var baseTitle = document.title;
  var unread = 0;
  var seen = {};
  Array.prototype.forEach.call(list.querySelectorAll("tr[data-id]"), function (tr) { seen[tr.getAttribute("data-id")] = true; });
  function cell(tr, text) { var td = document.createElement("td"); td.textContent = text; tr.appendChild(td); return td; }
  function add(m) {
    if (seen[m.id]) return;
    seen[m.id] = true;
    var empty = byId("outbox-empty");
    if (empty) empty.remove();
    byId("outbox-table").hidden = false;
    var tr = document.createElement("tr");
    tr.setAttribute("data-id", m.id);
    var when = document.createElement("time");
    when.dateTime = m.createdAt;
    when.textContent = m.createdAt.replace("T", " ").replace(/\\.\\d+Z$/, "Z");
    cell(tr, "").appendChild(when);
    cell(tr, m.kind === "email" ? "E-mail" : "SMS");
    cell(tr, m.from);
    cell(tr, m.to.join(", "));
    var a = document.createElement("a");
    a.href = "/console/outbox/" + encodeURIComponent(m.id);
    a.textContent = m.kind === "email" ? (m.subject || "(no subject)") : (m.text || "(empty)");
    cell(tr, "").appendChild(a);
    list.insertBefore(tr, list.firstChild);
    if (document.hidden) { unread++; document.title = "(" + unread + ") " + baseTitle; }
    var status = byId("outbox-status");
    if (status) status.textContent = "New message: " + a.textContent;
  }
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { unread = 0; document.title = baseTitle; } });
  var polling = false;
  function poll() {
    if (polling) return;
    polling = true;
    (function tick() {
      fetch("/console/api/outbox?limit=50", { credentials: "same-origin", headers: { accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { value: [] }; })
        .then(function (body) { body.value.slice().reverse().forEach(add); })
        .catch(function () {})
        .then(function () { setTimeout(tick, 2000); });
    })();
  }
  if (!window.EventSource) return poll();
  var es = new EventSource("/console/api/outbox/stream?since=" + encodeURIComponent(byId("outbox-table").getAttribute("data-since") || ""));
  var opened = false;
  es.onopen = function () { opened = true; };
  es.addEventListener("outbox", function (e) { add(JSON.parse(e.data)); });
  es.onerror = function () { if (!opened) { es.close(); poll(); } };
})();
`;

export const CONSOLE_CSS = `:root{--fg:#1b1b1b;--bg:#f4f5f7;--accent:#0b57d0;--danger:#a4262c}
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:0;background:var(--bg);color:var(--fg);display:grid;grid-template-columns:12rem 1fr;grid-template-rows:auto 1fr;min-height:100vh}
header{grid-column:1/3;display:flex;justify-content:space-between;align-items:center;padding:.5rem 1rem;background:#1b1b1b;color:#fff}
header a.brand{color:#fff;font-weight:700;text-decoration:none}
.who{display:flex;gap:.5rem;align-items:center;margin:0}
nav ul{list-style:none;margin:0;padding:1rem 0}
nav a{display:block;padding:.35rem 1rem;color:var(--fg);text-decoration:none}
nav a[aria-current=page]{background:#dde3f0;font-weight:600}
main{padding:1rem 2rem;min-width:0}
nav{grid-column:1;grid-row:2}
main{grid-column:2;grid-row:2}
body.bare{display:block}
table{border-collapse:collapse;width:100%;background:#fff;margin:0 0 1.5rem}
caption{text-align:left;font-weight:600;padding:.5rem 0}
th,td{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
.secret{display:flex;gap:.5rem;align-items:center;margin:.5rem 0;flex-wrap:wrap}
.secret label{min-width:14rem}
.secret input{flex:1;min-width:16rem;font-family:ui-monospace,monospace}
button{padding:.35rem .9rem;font-size:.95rem;cursor:pointer}
button.danger{color:#fff;background:var(--danger);border:1px solid var(--danger)}
fieldset{border:1px solid #ccc;margin:.5rem 0}
.token{width:100%;font-family:ui-monospace,monospace;min-height:6rem}
pre{background:#fff;padding:.75rem;overflow:auto}
.notice{background:#fff8e1;border-left:4px solid #f0b400;padding:.5rem 1rem}
.error{color:var(--danger)}
.inline{display:inline}
iframe{width:100%;min-height:20rem;border:1px solid #ccc;background:#fff}
.charts{display:flex;gap:1.5rem;flex-wrap:wrap}
figure.chart{margin:0 0 1rem}
.hint{font-size:.9rem;margin:.25rem 0}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
`;
