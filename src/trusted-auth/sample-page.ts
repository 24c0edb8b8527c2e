import { escapeHtml, pageHeaders } from "../idp/signin/signin-page.js";
import { defineRoute, type RouteSpec } from "../http/route.js";
import type { AuthorityKeys } from "../idp/authority-keys.js";
import { TRUSTED_AUTH_BASE, TRUSTED_AUTH_SCOPE } from "./trusted-auth-routes.js";
import type { TrustedAuthStore } from "./trusted-auth-store.js";

/**
 * `<baseUrl>/sample`: the hero sample's journey in one page, offline. Sign in with the authorization-code + PKCE
 * flow (the trusted-auth app is a public client whose redirect URI is this page), get an ACS identity from the API,
 * get a token, connect the calling client with it. The script is a static file of this server (strict CSP).
 */
function samplePage(config: { authority: string; clientId: string; scope: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trusted authentication sample</title>
<link rel="stylesheet" href="/signin/assets/signin.css">
<script type="module" src="${TRUSTED_AUTH_BASE}/sample.js"></script>
</head>
<body>
<main id="sample" data-authority="${escapeHtml(config.authority)}" data-client-id="${escapeHtml(config.clientId)}" data-scope="${escapeHtml(config.scope)}">
<h1>Trusted authentication sample</h1>
<p role="status" id="status" aria-label="Sample status">Not signed in.</p>
<p><button type="button" id="signin">Sign in</button></p>
<p>Your ACS identity: <output id="identity" aria-label="ACS identity"></output></p>
<p><button type="button" id="get-token" disabled>Get token</button> <output id="token-expiry" aria-label="Token expires"></output></p>
<p><button type="button" id="connect" disabled>Connect to calling</button> <output id="calling" aria-label="Calling"></output></p>
</main>
</body>
</html>
`;
}

const SAMPLE_JS = `import { createCallClient } from "/calling/client.js";

const main = document.getElementById("sample");
const { authority, clientId, scope } = main.dataset;
const api = "${TRUSTED_AUTH_BASE}/api";
const redirectUri = location.origin + location.pathname;
const status = (text) => { document.getElementById("status").textContent = text; };
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
let acsToken;

async function signIn() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem("pkce", JSON.stringify({ verifier, state }));
  const params = new URLSearchParams({ client_id: clientId, response_type: "code", redirect_uri: redirectUri, scope: scope + " openid profile offline_access", state, code_challenge: challenge, code_challenge_method: "S256" });
  location.assign(authority + "/oauth2/v2.0/authorize?" + params);
}

async function redeem(code, state) {
  const saved = JSON.parse(sessionStorage.getItem("pkce") || "{}");
  sessionStorage.removeItem("pkce");
  history.replaceState(null, "", redirectUri);
  if (saved.state !== state) throw new Error("state mismatch");
  const res = await fetch(authority + "/oauth2/v2.0/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: clientId, code, redirect_uri: redirectUri, code_verifier: saved.verifier, scope: scope + " openid profile offline_access" }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error_description || body.error);
  sessionStorage.setItem("entra", body.access_token);
  return body.access_token;
}

async function call(method, path, entra) {
  const res = await fetch(api + path, { method, headers: { authorization: "Bearer " + entra } });
  const body = res.status === 204 ? {} : await res.json();
  if (!res.ok) throw new Error(res.status + " " + (body.error?.message || ""));
  return body;
}

async function start() {
  document.getElementById("signin").addEventListener("click", () => signIn().catch((e) => status("Sign-in failed: " + e.message)));
  const query = new URLSearchParams(location.search);
  let entra = sessionStorage.getItem("entra");
  if (query.get("error")) return status("Sign-in failed: " + query.get("error_description"));
  if (query.get("code")) entra = await redeem(query.get("code"), query.get("state"));
  if (!entra) return;
  const user = await call("POST", "/user", entra);
  document.getElementById("identity").textContent = user.acsUserIdentity;
  status("Signed in.");
  const getToken = document.getElementById("get-token");
  const connect = document.getElementById("connect");
  getToken.disabled = false;
  getToken.addEventListener("click", async () => {
    try {
      const issued = await call("GET", "/token", entra);
      acsToken = issued.token;
      document.getElementById("token-expiry").textContent = "expires " + issued.expiresOn;
      connect.disabled = false;
      status("Token received.");
    } catch (e) { status("Token failed: " + e.message); }
  });
  connect.addEventListener("click", async () => {
    try {
      const client = createCallClient();
      const me = await client.connect(acsToken);
      window.sampleCallClient = client;
      document.getElementById("calling").textContent = "Connected as " + me.identity;
      status("Connected to calling.");
    } catch (e) { status("Calling failed: " + e.message); }
  });
}

start().catch((e) => status("Failed: " + e.message));
`;

/** The sample page and its script, on every resource where the service is enabled. */
export function sampleRoutes(deps: { store: TrustedAuthStore; keys: AuthorityKeys }): RouteSpec[] {
  return [
    defineRoute({
      operation: "trusted-auth.sample",
      method: "GET",
      url: `${TRUSTED_AUTH_BASE}/sample`,
      auth: "none",
      requireApiVersion: false,
      async handle(ctx) {
        const settings = await deps.store.settings(ctx.resource.id);
        if (settings === undefined) return { status: 404, rawBody: "The trusted authentication service is not enabled for this resource.", headers: { "content-type": "text/plain; charset=utf-8" } };
        const html = samplePage({ authority: `${ctx.baseUrl}/${deps.keys.tenantId}`, clientId: settings.clientId, scope: `api://${settings.clientId}/${TRUSTED_AUTH_SCOPE}` });
        return { status: 200, rawBody: html, headers: pageHeaders() };
      },
    }),
    defineRoute({
      operation: "trusted-auth.sample.script",
      method: "GET",
      url: `${TRUSTED_AUTH_BASE}/sample.js`,
      auth: "none",
      requireApiVersion: false,
      handle: () => ({ status: 200, rawBody: SAMPLE_JS, headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache", "x-content-type-options": "nosniff" } }),
    }),
  ];
}
