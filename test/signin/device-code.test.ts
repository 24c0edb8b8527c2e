import { DeviceCodeCredential, type DeviceCodeInfo } from "@azure/identity";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ACS_SCOPE, decodeClaims } from "../entra/entra-support.js";
import { launchBrowser } from "./browser-support.js";
import { recordSecrets, runSigninCli } from "./signin-support.js";

const PASSWORD = "correct-horse-42";

describe.each(backendNames)("device code flow: DeviceCodeCredential completed from the browser page (%s)", (backend) => {
  let srv: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let app: { clientId: string; tenantId: string };

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    browser = await launchBrowser();
    await runSigninCli(srv, ["user", "create", "--name", "alice", "--password", PASSWORD]);
    await runSigninCli(srv, ["role", "assign", "--principal", "alice", "--role", "Contributor"]);
    app = JSON.parse(await runSigninCli(srv, ["sp", "create", "--name", "Contoso CLI", "--public", "--json"])) as { clientId: string; tenantId: string };
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it("the user enters the code on the page and signs in; the credential's token drives the Identity API", async () => {
    const context = await browser.newContext();
    let completed: Promise<string> | undefined;
    const prompts: DeviceCodeInfo[] = [];
    const credential = new DeviceCodeCredential({
      tenantId: app.tenantId,
      clientId: app.clientId,
      authorityHost: srv.httpsUrl,
      disableInstanceDiscovery: true,
      userPromptCallback: (info) => {
        prompts.push(info);
        completed = (async () => {
          const page = await context.newPage();
          await page.goto(info.verificationUri);
          // A wrong code first: an error on the page, the form again.
          await page.getByLabel("Code").fill("WRNG-CODE");
          await page.getByRole("button", { name: "Next" }).click();
          const refused = await page.getByRole("alert").textContent();
          await page.getByLabel("Code").fill(info.userCode.toLowerCase());
          await page.getByRole("button", { name: "Next" }).click();
          await page.getByText("Contoso CLI").waitFor();
          await page.getByLabel("Username").fill("alice");
          await page.getByLabel("Password").fill(PASSWORD);
          await page.getByRole("button", { name: "Sign in" }).click();
          await page.getByRole("heading", { name: "You're signed in" }).waitFor();
          return refused ?? "";
        })();
      },
    });
    // The SDK pipelines ask with enableCae, and @azure/identity keeps a separate MSAL cache for CAE requests: asking the
    // same way here lets the Identity client below reuse this sign-in instead of prompting for a second device code.
    const token = await credential.getToken(ACS_SCOPE, { enableCae: true });
    expect(await completed).toContain("not valid");
    expect(prompts).toHaveLength(1);
    expect(prompts[0]!.userCode).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(prompts[0]!.verificationUri).toBe(`${srv.httpsUrl}/${app.tenantId}/devicelogin`);
    expect(prompts[0]!.message).toContain(prompts[0]!.userCode);
    expect(decodeClaims(token.token)).toMatchObject({ aud: "https://communication.azure.com", idtyp: "user", name: "alice", appid: app.clientId });

    const client = new CommunicationIdentityClient(`${srv.httpsUrl}/`, credential);
    const user = await client.createUser();
    expect(user.communicationUserId).toMatch(new RegExp(`^8:acs:${srv.resource.id}_`));
    expect(prompts).toHaveLength(1);
    await context.close();
  });

  it("polling answers authorization_pending until approval; an unknown device code is refused; codes are stored hashed", async () => {
    const token = `${srv.httpsUrl}/${app.tenantId}/oauth2/v2.0/token`;
    const started = (await (
      await fetch(`${srv.httpsUrl}/${app.tenantId}/oauth2/v2.0/devicecode`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ client_id: app.clientId, scope: `${ACS_SCOPE} offline_access` }),
      })
    ).json()) as Record<string, any>;
    expect(Object.keys(started).sort()).toEqual(["device_code", "expires_in", "interval", "message", "user_code", "verification_uri"]);
    recordSecrets([started.device_code]);
    const poll = (deviceCode: string) =>
      fetch(token, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:device_code", client_id: app.clientId, device_code: deviceCode }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
    expect(await poll(started.device_code)).toMatchObject({ status: 400, body: { error: "authorization_pending" } });
    expect(await poll("sbd1.0000")).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const stored = await srv.server.core.store.db.selectFrom("idp_device_codes").selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(started.device_code);
    expect(srv.readLog()).not.toContain(started.device_code);
  });
});
