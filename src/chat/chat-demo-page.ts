import { defineRoute, type RouteSpec } from "../http/route.js";

/**
 * `/chat/demo`: a live conversation between two tabs. Each tab connects the signaling socket with a `chat` token
 * (pasted, or fetched from `#tokenUrl=<url>` like the calling demo), one creates a thread with the other's identity
 * (or both join a thread id), and every message sent through the Chat REST API reaches the other tab as a
 * `chatMessageReceived` event on its socket, without a reload; typing indicators too. The page has no inline script
 * or style (its script and style sheet are the two routes below) and loads nothing from another origin.
 */
export const CHAT_DEMO_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "form-action 'none'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

export const CHAT_DEMO_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard chat demo</title>
<link rel="stylesheet" href="/chat/demo.css">
<script type="module" src="/chat/demo.js"></script>
</head>
<body>
<main>
<h1>Switchboard chat demo</h1>
<p id="token-help">Get a token for each tab with <code>switchboard identity create --scopes chat --json</code> (it prints
the identity and its token), or in code with <code>CommunicationIdentityClient.createUserAndToken(["chat"])</code>.
Open this page over HTTPS: the signaling socket is served on the HTTPS listener.</p>
<section aria-labelledby="h-connect">
<h2 id="h-connect">1. Connect</h2>
<div class="row"><label for="token">User access token (scope chat)</label><textarea id="token" rows="3" autocomplete="off" spellcheck="false"></textarea></div>
<div class="row"><label for="name">Display name</label><input id="name" autocomplete="nickname"></div>
<div class="row"><button id="connect" type="button">Connect</button> <span id="me" role="status"></span></div>
</section>
<section aria-labelledby="h-thread">
<h2 id="h-thread">2. Thread</h2>
<div class="row"><label for="participants">Start a thread with (identities, comma-separated)</label><input id="participants" spellcheck="false"></div>
<div class="row"><button id="create" type="button" disabled>Create thread</button></div>
<div class="row"><label for="thread">Thread id</label><input id="thread" spellcheck="false"></div>
<div class="row"><button id="join" type="button" disabled>Join thread</button> <span id="joined" role="status"></span></div>
</section>
<section aria-labelledby="h-conversation">
<h2 id="h-conversation">3. Conversation</h2>
<ol id="messages" aria-live="polite" aria-label="Messages"></ol>
<p id="typing" role="status" aria-live="polite"></p>
<form id="compose" class="row">
<label for="message">Message</label>
<input id="message" autocomplete="off" disabled>
<button id="send" type="submit" disabled>Send</button>
</form>
</section>
<h2 id="h-log">Log</h2>
<pre id="log" aria-labelledby="h-log"></pre>
</main>
</body>
</html>
`;

export const CHAT_DEMO_CSS = `body { font-family: system-ui, sans-serif; margin: 1.5rem; max-width: 48rem; }
textarea, input { width: 100%; box-sizing: border-box; font-family: monospace; }
label { display: block; font-weight: 600; margin-bottom: .2rem; }
button { margin: .25rem .25rem .25rem 0; }
.row { margin: .5rem 0; }
h2 { font-size: 1.1rem; margin-top: 1.2rem; }
#messages { list-style: none; padding: .5rem; margin: 0; border: 1px solid #bbb; min-height: 8rem; max-height: 20rem; overflow: auto; }
#messages li { margin: .25rem 0; }
#messages li.mine { text-align: right; }
#messages .who { font-weight: 600; margin-right: .4rem; }
#messages .when { color: #555; font-size: .75rem; margin-left: .4rem; }
#typing { color: #555; font-style: italic; min-height: 1.2rem; }
#compose { display: flex; gap: .5rem; align-items: center; }
#compose label { margin: 0; }
#log { background: #f4f4f4; padding: .5rem; height: 8rem; overflow: auto; font-size: .8rem; white-space: pre-wrap; }
`;

export const CHAT_DEMO_SCRIPT = `import { createCallClient } from "/calling/client.js";

const API = "api-version=2024-03-07";
const TYPING_EVERY_MS = 8000;
const $ = (id) => document.getElementById(id);
const log = (line) => { const el = $("log"); el.textContent += new Date().toISOString().slice(11, 19) + " " + line + "\\n"; el.scrollTop = el.scrollHeight; };
const tokenUrl = new URLSearchParams(location.hash.slice(1)).get("tokenUrl");
const fetchToken = async () => (await (await fetch(tokenUrl, { credentials: "include" })).json()).token;
const client = createCallClient(tokenUrl ? { tokenRefresher: async () => (token = await fetchToken()) } : {});
const state = { me: undefined, threadId: undefined, shown: new Set(), typingSentAt: 0, typingTimer: undefined };
let token = "";
window.demo = { client, state };

const user = (id) => ({ rawId: id, communicationUser: { id } });
const rawIdOf = (identifier) => identifier?.rawId ?? identifier?.communicationUserId ?? identifier?.communicationUser?.id;

async function api(method, path, body) {
  const res = await fetch(path + (path.includes("?") ? "&" : "?") + API, {
    method,
    headers: { authorization: "Bearer " + token, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : {};
  if (!res.ok) throw new Error(res.status + " " + (json.error?.message ?? res.statusText));
  return json;
}
const threadPath = (id) => "/chat/threads/" + encodeURIComponent(id);

function show({ id, sender, senderDisplayName, message, createdOn }) {
  if (state.shown.has(id)) return;
  state.shown.add(id);
  const li = document.createElement("li");
  li.dataset.id = id;
  if (sender === state.me) li.className = "mine";
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = (senderDisplayName || sender?.slice(-8) || "?") + ":";
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = message;
  const when = document.createElement("time");
  when.className = "when";
  const at = createdOn instanceof Date ? createdOn : new Date(createdOn);
  when.dateTime = at.toISOString();
  when.textContent = at.toLocaleTimeString();
  li.append(who, text, when);
  const list = $("messages");
  // Keep the list in send order whatever order the history page and live events arrive in.
  const after = [...list.children].find((el) => el.dataset.at > at.toISOString());
  li.dataset.at = at.toISOString();
  list.insertBefore(li, after ?? null);
  list.scrollTop = list.scrollHeight;
}

function setTyping(text) {
  $("typing").textContent = text;
  clearTimeout(state.typingTimer);
  if (text) state.typingTimer = setTimeout(() => ($("typing").textContent = ""), TYPING_EVERY_MS + 1000);
}

async function join(threadId) {
  state.threadId = threadId;
  $("thread").value = threadId;
  $("messages").replaceChildren();
  state.shown.clear();
  const { value } = await api("GET", threadPath(threadId) + "/messages?maxPageSize=50");
  for (const m of value.reverse()) {
    if (m.type !== "text" && m.type !== "html") continue;
    show({ id: m.id, sender: rawIdOf(m.senderCommunicationIdentifier), senderDisplayName: m.senderDisplayName, message: m.content?.message ?? "", createdOn: m.createdOn });
  }
  $("joined").textContent = "in thread " + threadId;
  $("message").disabled = false; $("send").disabled = false;
  log("joined " + threadId);
}

$("connect").onclick = async () => {
  try {
    token = tokenUrl && !$("token").value.trim() ? await fetchToken() : $("token").value.trim();
    const { identity } = await client.connect(token);
    state.me = identity;
    $("me").textContent = "connected as " + identity;
    $("connect").disabled = true; $("create").disabled = false; $("join").disabled = false;
    log("connected as " + identity);
  } catch (err) { log("connect failed: " + err.message); }
};
$("create").onclick = async () => {
  const ids = $("participants").value.split(",").map((s) => s.trim()).filter(Boolean);
  const displayName = $("name").value.trim();
  try {
    const { chatThread } = await api("POST", "/chat/threads", {
      topic: "Demo chat",
      participants: [
        { communicationIdentifier: user(state.me), ...(displayName ? { displayName } : {}) },
        ...ids.map((id) => ({ communicationIdentifier: user(id) })),
      ],
    });
    log("created thread " + chatThread.id);
    await join(chatThread.id);
  } catch (err) { log("create failed: " + err.message); }
};
$("join").onclick = async () => {
  try { await join($("thread").value.trim()); } catch (err) { log("join failed: " + err.message); }
};
$("compose").onsubmit = async (e) => {
  e.preventDefault();
  const content = $("message").value;
  if (!content.trim() || state.threadId === undefined) return;
  $("message").value = "";
  try {
    const displayName = $("name").value.trim();
    await api("POST", threadPath(state.threadId) + "/messages", { content, type: "text", ...(displayName ? { senderDisplayName: displayName } : {}) });
    state.typingSentAt = 0;
  } catch (err) { log("send failed: " + err.message); $("message").value = content; }
};
$("message").oninput = () => {
  const now = Date.now();
  if (state.threadId === undefined || now - state.typingSentAt < TYPING_EVERY_MS) return;
  state.typingSentAt = now;
  const displayName = $("name").value.trim();
  api("POST", threadPath(state.threadId) + "/typing", displayName ? { senderDisplayName: displayName } : {}).catch((err) => log("typing failed: " + err.message));
};

client.on("disconnected", ({ code, reason }) => { log("disconnected " + code + " " + reason); $("connect").disabled = false; });
client.on("error", (err) => log("error " + err.code + ": " + err.message));
client.on("chatThreadCreated", (e) => {
  log("added to thread " + e.threadId + " (" + (e.properties?.topic ?? "") + ")");
  if (state.threadId === undefined && !$("thread").value) $("thread").value = e.threadId;
});
client.on("participantsAdded", (e) => {
  if (state.threadId === undefined && !$("thread").value) $("thread").value = e.threadId;
});
client.on("chatMessageReceived", (e) => {
  if (e.threadId !== state.threadId) { log("message in another thread " + e.threadId); return; }
  if (rawIdOf(e.sender) !== state.me) setTyping("");
  show({ id: e.id, sender: rawIdOf(e.sender), senderDisplayName: e.senderDisplayName, message: e.message, createdOn: e.createdOn });
});
client.on("chatMessageEdited", (e) => {
  const text = document.querySelector('#messages li[data-id="' + CSS.escape(e.id) + '"] .text');
  if (text) text.textContent = e.message + " (edited)";
});
client.on("chatMessageDeleted", (e) => document.querySelector('#messages li[data-id="' + CSS.escape(e.id) + '"]')?.remove());
client.on("typingIndicatorReceived", (e) => {
  if (e.threadId !== state.threadId || rawIdOf(e.sender) === state.me) return;
  setTyping((e.senderDisplayName || rawIdOf(e.sender)?.slice(-8) || "someone") + " is typing…");
});
`;

const headers = (type: string, csp = false): Record<string, string> => ({
  "content-type": `${type}; charset=utf-8`,
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
  ...(csp ? { "content-security-policy": CHAT_DEMO_CSP, "x-frame-options": "DENY", "referrer-policy": "no-referrer" } : {}),
});

/** The chat demo page, its script and its style sheet (public, like the calling demo). */
export function chatDemoRoutes(): RouteSpec[] {
  const file = (operation: string, url: string, body: string, type: string, csp = false) =>
    defineRoute({
      operation,
      method: "GET",
      url,
      auth: "none",
      requireApiVersion: false,
      handle: () => ({ status: 200, rawBody: body, headers: headers(type, csp) }),
    });
  return [
    file("demo.chat", "/chat/demo", CHAT_DEMO_PAGE, "text/html", true),
    file("demo.chatScript", "/chat/demo.js", CHAT_DEMO_SCRIPT, "text/javascript"),
    file("demo.chatStyle", "/chat/demo.css", CHAT_DEMO_CSS, "text/css"),
  ];
}
