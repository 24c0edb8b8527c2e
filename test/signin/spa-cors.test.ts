import http from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { launchBrowser } from "./browser-support.js";
import { runSigninCli } from "./signin-support.js";

const require = createRequire(import.meta.url);
const MSAL_BROWSER = readFileSync(path.join(path.dirname(require.resolve("@azure/msal-browser/package.json")), "lib/msal-browser.js"), "utf8");

/** A single-page app on its own origin (http://127.0.0.1:<port>), using msal-browser's redirect flow. */
async function startSpa(config: () => Record<string, unknown>): Promise<{ origin: string; close(): Promise<void> }> {
  const script = () => `const CFG = ${JSON.stringify(config())};
const out = document.getElementById("out");
const pca = new msal.PublicClientApplication({ auth: { clientId: CFG.clientId, authority: CFG.authority, knownAuthorities: [CFG.host], redirectUri: location.origin + "/spa" }, cache: { cacheLocation: "sessionStorage" } });
(async () => {
  await pca.initialize();
  const result = await pca.handleRedirectPromise();
  if (result) { out.textContent = "signed in as " + result.account.username + " (" + result.scopes.join(" ") + ")"; return; }
  document.getElementById("login").addEventListener("click", () => pca.loginRedirect({ scopes: CFG.scopes }));
  out.textContent = "ready";
})().catch((e) => { out.textContent = "error: " + e.errorCode + " " + e.message; });`;
  const server = http.createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0];
    if (url === "/spa") return void res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><title>SPA</title><button id="login">Log in</button><p id="out">loading</p><script src="/msal-browser.js"></script><script src="/spa.js"></script>`);
    if (url === "/msal-browser.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(MSAL_BROWSER);
    if (url === "/spa.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(script());
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe.each(backendNames)("msal-browser in a page of another origin: CORS on the token endpoint for SPA redirect URIs (%s)", (backend) => {
  let srv: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let spa: Awaited<ReturnType<typeof startSpa>>;
  let app: { clientId: string; tenantId: string };

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    browser = await launchBrowser();
    await runSigninCli(srv, ["user", "create", "--name", "dana", "--password", "correct-horse-42"]);
    spa = await startSpa(() => ({
      clientId: app.clientId,
      authority: `${srv.httpsUrl}/${app.tenantId}`,
      host: new URL(srv.httpsUrl).host,
      scopes: ["https://communication.azure.com/clients/VoIP"],
    }));
    app = JSON.parse(await runSigninCli(srv, ["sp", "create", "--name", "Contoso SPA", "--public", "--redirect-uri", `${spa.origin}/spa`, "--json"])) as { clientId: string; tenantId: string };
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await spa?.close();
    await srv?.close();
  });

  it("loginRedirect, sign-in page, handleRedirectPromise redeems the code cross-origin", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${spa.origin}/spa`);
    await page.getByText("ready", { exact: true }).waitFor();
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByLabel("Username").fill("dana");
    await page.getByLabel("Password").fill("correct-horse-42");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText(/^(signed in as|error:)/).waitFor({ timeout: 20_000 });
    expect(await page.locator("#out").textContent()).toMatch(/^signed in as dana \(/);
    await context.close();
  });

  it("only a registered redirect URI's origin gets the CORS header", async () => {
    const token = (origin: string) =>
      fetch(`${srv.httpsUrl}/${app.tenantId}/oauth2/v2.0/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin },
        body: new URLSearchParams({ grant_type: "authorization_code", client_id: app.clientId, code: "sbc1.00", redirect_uri: `${spa.origin}/spa`, code_verifier: "x".repeat(43) }),
      });
    const mine = await token(spa.origin);
    expect(mine.status).toBe(400);
    expect(mine.headers.get("access-control-allow-origin")).toBe(spa.origin);
    const evil = await token("http://127.0.0.1:1");
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
  });
});
