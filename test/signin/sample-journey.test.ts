import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { launchBrowser } from "./browser-support.js";
import { runSigninCli } from "./signin-support.js";

describe.each(backendNames)("the trusted-auth sample page journey in Chromium (%s)", (backend) => {
  let srv: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let baseUrl: string;

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    browser = await launchBrowser();
    await runSigninCli(srv, ["user", "create", "--name", "carol", "--password", "correct-horse-42"]);
    baseUrl = (JSON.parse(await runSigninCli(srv, ["trusted-auth", "info", "--json", "--endpoint", srv.httpsUrl])) as { baseUrl: string }).baseUrl;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it("sign in, see your ACS identity, get a token, connect the calling client", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    // Every request of the journey succeeds (the browser's own favicon probe aside).
    page.on("response", (r) => r.status() >= 400 && !r.url().endsWith("/favicon.ico") && errors.push(`${r.status()} ${r.url()}`));
    const res = await page.goto(`${baseUrl}/sample`);
    expect(res!.headers()["content-security-policy"]).toContain("script-src 'self'");
    await expect(page.getByRole("status", { name: "Sample status" }).textContent()).resolves.toBe("Not signed in.");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByLabel("Username").fill("carol");
    await page.getByLabel("Password").fill("correct-horse-42");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Signed in.", { exact: true }).waitFor({ timeout: 15_000 });
    const identity = await page.getByLabel("ACS identity").textContent();
    expect(identity).toMatch(new RegExp(`^8:acs:${srv.resource.id}_`));
    // The URL no longer carries the code.
    expect(page.url()).toBe(`${baseUrl}/sample`);

    await page.getByRole("button", { name: "Get token" }).click();
    await page.getByText("Token received.", { exact: true }).waitFor();
    await page.getByRole("button", { name: "Connect to calling" }).click();
    await page.getByText("Connected to calling.", { exact: true }).waitFor({ timeout: 15_000 });
    expect(await page.getByLabel("Calling").textContent()).toBe(`Connected as ${identity}`);
    expect(errors).toEqual([]);

    // The mapping is the server's: the CLI lists it.
    const mappings = JSON.parse(await runSigninCli(srv, ["trusted-auth", "mappings", "--json"])) as Array<{ acsUserIdentity: string }>;
    expect(mappings.map((m) => m.acsUserIdentity)).toEqual([identity]);
    await context.close();
  });
});
