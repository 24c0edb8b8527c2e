import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_RESOURCES } from "../../src/rbac/role-store.js";
import { openSignaling, ringingCall, type SignalingTestClient } from "../support/signaling-client.js";
import { buyNumbers } from "../messaging/helpers.js";
import { backendNames } from "../support/backends.js";
import { recordSecrets } from "../support/secret-scan.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { consoleLink } from "./console-support.js";

interface Session {
  cookie: string;
  csrf: string;
}

/** Redeems a console link as a script would: the session cookie, and the CSRF token from a page's meta tag. */
async function signIn(srv: TestServer, extra?: string[]): Promise<Session> {
  const res = await fetch(await consoleLink(srv, extra), { redirect: "manual" });
  expect(res.status).toBe(303);
  const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
  const page = await (await fetch(`${srv.httpsUrl}/console`, { headers: { cookie } })).text();
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)![1]!;
  return { cookie, csrf };
}

async function post(srv: TestServer, s: Session, path: string, body: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${srv.httpsUrl}${path}`, {
    method: "POST",
    headers: { cookie: s.cookie, "x-csrf-token": s.csrf, "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

async function get(srv: TestServer, s: Session, path: string): Promise<any> {
  const res = await fetch(`${srv.httpsUrl}${path}`, { headers: { cookie: s.cookie, accept: "application/json" } });
  expect(res.status).toBe(200);
  return res.json();
}

describe.each(backendNames)("the console's data API: activity tail, tokens today, principals, numbers, live calls (%s)", (backend) => {
  let srv: TestServer;
  let operator: Session;
  const sockets: SignalingTestClient[] = [];

  beforeAll(async () => {
    srv = await startTestServer({ backend });
    operator = await signIn(srv);
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await srv?.close();
  });

  it("files actions that concern no identity under the operator: a key regeneration is in the record and the Activity API", async () => {
    const regenerated = await post(srv, operator, "/console/api/keys/regenerate", { key: "secondary", resource: srv.resource.id });
    expect(regenerated).toMatchObject({ status: 200, body: { key: "secondary", regenerated: true } });
    await srv.server.core.activity.flush();
    const recorded = await srv.server.core.activityRepository.recent({ identity: "operator:console:alice", operation: "keys.regenerate", limit: 10 });
    expect(recorded.map((r) => r.event)).toEqual([
      expect.objectContaining({ operation: "keys.regenerate", principal: "operator:console:alice", outcome: "succeeded", fields: expect.objectContaining({ via: "console", keyName: "secondary" }) }),
    ]);
    // The sign-in is recorded too.
    const signins = await srv.server.core.activityRepository.recent({ identity: "operator:console:alice", operation: "console.signin", limit: 10 });
    expect(signins).toHaveLength(1);

    const page = await get(srv, operator, "/console/api/activity?identity=operator%3Aconsole%3Aalice&operation=keys.regenerate");
    expect(page.rows).toHaveLength(1);
    expect(page.rows[0].html).toContain("keys.regenerate");
    expect(page.rows[0].html).toContain("operator:console:alice");
    expect(page.after).toBe(recorded[0]!.seq);
  });

  it("the Activity API's tail returns only rows after its cursor that match its filters", async () => {
    await srv.server.core.activity.flush();
    const start = await srv.server.core.activityRepository.lastSeq();
    const identities = new CommunicationIdentityClient(srv.connectionString("https"));
    const user = await identities.createUser();
    await identities.getToken(user, ["chat"]);
    await srv.server.core.activity.flush();
    const all = await get(srv, operator, `/console/api/activity?after=${start}`);
    expect(all.rows.map((r: { html: string }) => /<td>(identity\.[A-Za-z]+)<\/td>/.exec(r.html)?.[1])).toEqual(["identity.create", "identity.issueAccessToken"]);
    const tokensOnly = await get(srv, operator, `/console/api/activity?after=${start}&operation=identity.issueAccessToken&outcome=succeeded`);
    expect(tokensOnly.rows).toHaveLength(1);
    expect(tokensOnly.rows[0].html).toContain(user.communicationUserId);
    const failedOnly = await get(srv, operator, `/console/api/activity?after=${start}&outcome=failed`);
    expect(failedOnly.rows).toEqual([]);
    const none = await get(srv, operator, `/console/api/activity?after=${all.after}`);
    expect(none).toEqual({ rows: [], after: all.after });
    const bad = await fetch(`${srv.httpsUrl}/console/api/activity?operation=${encodeURIComponent("x; drop")}`, { headers: { cookie: operator.cookie } });
    expect(bad.status).toBe(400);
  });

  it("counts the tokens issued from a time on, from the activity record", async () => {
    await srv.server.core.activity.flush();
    const repo = srv.server.core.activityRepository;
    const before = await repo.tokensIssuedSince(0, srv.resource.id);
    const identities = new CommunicationIdentityClient(srv.connectionString("https"));
    const { user } = await identities.createUserAndToken(["chat"]);
    await identities.getToken(user, ["voip"]);
    await identities.createUser();
    await srv.server.core.activity.flush();
    expect(await repo.tokensIssuedSince(0, srv.resource.id)).toBe(before + 2);
    const now = Date.now();
    expect(await repo.tokensIssuedSince(now - (now % 86_400_000), srv.resource.id)).toBeGreaterThanOrEqual(2);
    expect(await repo.tokensIssuedSince(now + 86_400_000, srv.resource.id)).toBe(0);
    expect(await repo.tokensIssuedSince(0, "no-such-resource")).toBe(0);
  });

  it("creates a service principal whose secret gets a client-credentials token; a Reader is refused", async () => {
    const created = await post(srv, operator, "/console/api/principals", { name: `data-app-${backend}` });
    expect(created.status).toBe(201);
    const { clientId, tenantId, clientSecret } = created.body as { clientId: string; tenantId: string; clientSecret: string };
    recordSecrets([clientSecret]);
    const token = await fetch(`${srv.httpsUrl}/${tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, scope: "https://communication.azure.com/.default" }),
    });
    expect(token.status).toBe(200);
    expect(JSON.stringify(await srv.server.core.store.db.selectFrom("entra_client_secrets").selectAll().execute())).not.toContain(clientSecret);
    expect(await post(srv, operator, "/console/api/principals", { name: `data-app-${backend}` })).toMatchObject({ status: 409 });
    expect(await post(srv, operator, "/console/api/principals", { name: " " })).toMatchObject({ status: 400, body: { error: { code: "ValidationError" } } });

    const reader = await srv.server.core.entra.principals.createUser({ name: "reader", password: "reader-password-1" });
    await srv.server.core.entra.roles.assign(reader.objectId, "Reader", ALL_RESOURCES);
    const readerSession = await signIn(srv, ["--user", "reader"]);
    const refused = await post(srv, readerSession, "/console/api/principals", { name: "nope" });
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).toContain("servicePrincipals/write");
    // The event of the principal creation names no secret.
    await srv.server.core.activity.flush();
    const events = await srv.server.core.activityRepository.recent({ identity: "operator:console:alice", operation: "principals.create", limit: 10 });
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(events)).not.toContain(clientSecret);
  });

  it("releases a number (a Reader is refused; an unknown number is a 404)", async () => {
    const [number] = await buyNumbers(srv);
    const readerSession = await signIn(srv, ["--user", "reader"]);
    expect(await post(srv, readerSession, "/console/api/phone-numbers/release", { phoneNumber: number!, resource: srv.resource.id })).toMatchObject({ status: 403 });
    const released = await post(srv, operator, "/console/api/phone-numbers/release", { phoneNumber: number!, resource: srv.resource.id });
    expect(released).toMatchObject({ status: 200, body: { phoneNumber: number, released: true } });
    expect(await srv.server.core.store.db.selectFrom("phone_numbers").selectAll().where("phone_number", "=", number!).execute()).toEqual([]);
    expect(await post(srv, operator, "/console/api/phone-numbers/release", { phoneNumber: number!, resource: srv.resource.id })).toMatchObject({ status: 404 });
  });

  it("lists live calls with their participants, and not once they end", async () => {
    const { b, sa, sb, callId } = await ringingCall(srv, () => {
      const s = openSignaling(srv);
      sockets.push(s);
      return s;
    });
    const liveHtml = async () => ((await get(srv, operator, "/console/api/calls/live")) as { html: string }).html;
    let html = "";
    for (let i = 0; i < 100 && !html.includes(callId); i++) {
      html = await liveHtml();
      if (!html.includes(callId)) await new Promise((r) => setTimeout(r, 50));
    }
    expect(html).toContain(callId);
    expect(html).toContain(`${b.id} (ringing)`);
    sa.send({ type: "hangUp", callId });
    await sb.next("incomingCallEnded");
    for (let i = 0; i < 100 && html.includes(callId); i++) {
      html = await liveHtml();
      if (html.includes(callId)) await new Promise((r) => setTimeout(r, 50));
    }
    expect(html).not.toContain(callId);
  });
});
