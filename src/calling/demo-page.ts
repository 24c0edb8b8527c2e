/**
 * `/calling/demo`: two tabs can call each other. Paste a voip token in each (or give `#tokenUrl=<url>`: a developer
 * endpoint that answers `{ "token": "…" }`, fetched with the page's cookies), connect, put the other tab's identity in
 * the callee field and call. The page uses only the public client API (docs/calling.md) and exposes the client as
 * `window.demo.client` for tinkering in the console.
 */
export const DEMO_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard calling demo</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1.5rem; max-width: 60rem; }
  textarea, input { width: 100%; box-sizing: border-box; font-family: monospace; }
  button { margin: .25rem .25rem .25rem 0; }
  video { width: 45%; background: #222; margin: .25rem; }
  #log { background: #f4f4f4; padding: .5rem; height: 10rem; overflow: auto; font-size: .8rem; white-space: pre-wrap; }
  .row { margin: .5rem 0; }
</style>
</head>
<body>
<h1>Switchboard calling demo</h1>
<p id="token-help">Get a token for each tab with <code>switchboard identity create --scopes voip</code> (it prints the
identity and its token), or in code with <code>CommunicationIdentityClient.createUserAndToken(["voip"])</code>. Open
this page over HTTPS: the signaling socket and the camera need a secure page.</p>
<div class="row"><label>User access token (scope voip or voip.join)<textarea id="token" rows="3"></textarea></label></div>
<div class="row"><button id="connect">Connect</button> <span id="me"></span></div>
<div class="row"><label>Callee identities (comma-separated)<input id="callees"></label></div>
<div class="row"><label><input type="checkbox" id="video" checked style="width:auto"> video</label></div>
<div class="row">
  <button id="call" disabled>Call</button>
  <button id="accept" disabled>Accept</button>
  <button id="reject" disabled>Reject</button>
  <button id="mute" disabled>Mute</button>
  <button id="hangup" disabled>Hang up</button>
  <span id="state">idle</span>
</div>
<div id="videos"><video id="local" autoplay muted playsinline></video></div>
<pre id="log"></pre>
<script type="module">
import { createCallClient } from "./client.js";

const $ = (id) => document.getElementById(id);
const log = (line) => { $("log").textContent += new Date().toISOString().slice(11, 19) + " " + line + "\\n"; };
const tokenUrl = new URLSearchParams(location.hash.slice(1)).get("tokenUrl");
const fetchToken = async () => {
  const res = await fetch(tokenUrl, { credentials: "include" });
  return (await res.json()).token;
};
const client = createCallClient(tokenUrl ? { tokenRefresher: fetchToken } : {});
window.demo = { client };
let muted = false;

function setState(text) { $("state").textContent = text; }
function inCall(active) {
  $("call").disabled = active; $("hangup").disabled = !active; $("mute").disabled = !active;
}
function attach(call) {
  window.demo.call = call;
  inCall(true);
  setState(call.state);
  $("local").srcObject = call.localStream;
  call.on("stateChanged", (s) => { setState(s); log("call " + s); });
  call.on("participantJoined", ({ identity }) => log("joined: " + identity));
  call.on("participantLeft", ({ identity, reason }) => { log("left: " + identity + " (" + reason + ")"); document.getElementById("v-" + identity)?.remove(); });
  call.on("participantRejected", ({ identity }) => log("declined: " + identity));
  call.on("muteChanged", ({ identity, audioMuted }) => log(identity + (audioMuted ? " muted" : " unmuted")));
  call.on("remoteStream", ({ identity, stream }) => {
    let v = document.getElementById("v-" + identity);
    if (!v) { v = document.createElement("video"); v.id = "v-" + identity; v.autoplay = true; v.playsInline = true; $("videos").append(v); }
    if (v.srcObject !== stream) v.srcObject = stream;
  });
  call.on("ended", ({ reason }) => {
    log("call ended (" + reason + ")"); setState("ended (" + reason + ")"); inCall(false);
    for (const v of [...document.querySelectorAll("#videos video")]) if (v.id !== "local") v.remove();
    $("local").srcObject = null;
  });
}

$("connect").onclick = async () => {
  try {
    const token = tokenUrl && !$("token").value.trim() ? await fetchToken() : $("token").value.trim();
    const { identity } = await client.connect(token);
    $("me").textContent = "connected as " + identity;
    $("call").disabled = false; $("connect").disabled = true;
    log("connected as " + identity);
  } catch (err) { log("connect failed: " + err.message); }
};
client.on("disconnected", ({ code, reason }) => { log("disconnected " + code + " " + reason); $("connect").disabled = false; $("call").disabled = true; });
client.on("error", (err) => log("error " + err.code + ": " + err.message));
client.on("incomingCall", (incoming) => {
  log("incoming call from " + incoming.from + (incoming.video ? " (video)" : ""));
  setState("ringing"); $("accept").disabled = false; $("reject").disabled = false;
});
client.on("incomingCallEnded", ({ reason }) => { log("incoming call ended (" + reason + ")"); $("accept").disabled = true; $("reject").disabled = true; });
$("call").onclick = async () => {
  const ids = $("callees").value.split(",").map((s) => s.trim()).filter(Boolean);
  try { attach(await client.startCall(ids, { video: $("video").checked })); log("calling " + ids.join(", ")); }
  catch (err) { log("call failed: " + err.code + " " + err.message); }
};
$("accept").onclick = async () => {
  $("accept").disabled = true; $("reject").disabled = true;
  try { attach(await client.accept()); } catch (err) { log("accept failed: " + err.code + " " + err.message); }
};
$("reject").onclick = () => { client.reject(); $("accept").disabled = true; $("reject").disabled = true; setState("idle"); };
$("mute").onclick = () => { muted = !muted; client.call?.setMuted({ audio: muted }); $("mute").textContent = muted ? "Unmute" : "Mute"; };
$("hangup").onclick = () => client.hangUp();
</script>
</body>
</html>
`;
