import { EmailClient } from "@azure/communication-email";
import { SmsClient } from "@azure/communication-sms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { managedDomainOf } from "../../src/email/email-domains.js";
import { backendNames } from "../support/backends.js";
import { runCliInProcess } from "../support/cli.js";
import { signedFetch } from "../support/signed-fetch.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { buyNumbers, requestWithHost, smsServer } from "./helpers.js";

describe.each(backendNames)("outbox API (%s)", (backend) => {
  const server = smsServer(backend);
  let srv: TestServer;
  let sender: string;
  let key: string;
  beforeAll(() => void ({ srv, sender, key } = server));
  const get = (query = "") => signedFetch(`${srv.httpUrl}/outbox${query}`, { accessKey: key });

  it("lists SMS and e-mail newest first, filters by kind, pages with nextLink, shows one, and clears", async () => {
    const sms = new SmsClient(srv.connectionString("http"), { allowInsecureConnection: true });
    await sms.send({ from: sender!, to: ["+14255550101"], message: "first" });
    await sms.send({ from: sender!, to: ["+14255550102"], message: "second" });
    const email = new EmailClient(srv.connectionString("http"), { allowInsecureConnection: true });
    const sent = await (
      await email.beginSend({ senderAddress: `DoNotReply@${managedDomainOf(srv.resource.id)}`, content: { subject: "third", plainText: "3" }, recipients: { to: [{ address: "x@example.com" }] } })
    ).pollUntilDone();

    const all = await get();
    expect(all.status).toBe(200);
    expect(all.body.value.map((m: any) => m.kind)).toEqual(["email", "sms", "sms"]);
    expect(all.body.value.map((m: any) => m.text)).toEqual(["3", "second", "first"]);
    for (const m of all.body.value) {
      expect(Object.keys(m)).toEqual(expect.arrayContaining(["id", "kind", "from", "to", "text", "content", "createdAt", "principal", "resourceId"]));
      expect(Array.isArray(m.to)).toBe(true);
    }
    expect((await get("?kind=sms")).body.value).toHaveLength(2);

    const page1 = await get("?maxPageSize=2");
    expect(page1.body.value).toHaveLength(2);
    const next = new URL(page1.body.nextLink);
    expect(next.searchParams.get("skip")).toBe("2");
    const page2 = await signedFetch(`${srv.httpUrl}${next.pathname}${next.search}`, { accessKey: key });
    expect(page2.body.value.map((m: any) => m.text)).toEqual(["first"]);
    expect(page2.body.nextLink).toBeUndefined();

    const one = await get(`/${sent.id}`);
    expect(one).toMatchObject({ status: 200, body: { id: sent.id, kind: "email", subject: "third" } });
    expect(await get("/nope")).toMatchObject({ status: 404, body: { error: { code: "OutboxMessageNotFound" } } });
    expect(await get("?kind=fax")).toMatchObject({ status: 400 });

    // Another resource sees none of it, and cannot clear it.
    const other = await srv.server.core.resources.create(`outbox-other-${backend}`, ["outbox-other.localhost"]);
    await srv.server.core.registry.settled();
    const port = Number(new URL(srv.httpUrl).port);
    const theirs = await requestWithHost(port, "outbox-other.localhost", other.keys.primary.value, "GET", "/outbox");
    expect(theirs).toMatchObject({ status: 200, body: { value: [] } });
    expect((await requestWithHost(port, "outbox-other.localhost", other.keys.primary.value, "DELETE", "/outbox")).status).toBe(204);
    expect((await get()).body.value).toHaveLength(3);

    expect((await signedFetch(`${srv.httpUrl}/outbox?kind=sms`, { method: "DELETE", accessKey: key })).status).toBe(204);
    expect((await get()).body.value.map((m: any) => m.kind)).toEqual(["email"]);
    expect((await signedFetch(`${srv.httpUrl}/outbox`, { method: "DELETE", accessKey: key })).status).toBe(204);
    expect((await get()).body.value).toEqual([]);
  });

  it("requires authentication", async () => {
    const res = await fetch(`${srv.httpUrl}/outbox`);
    expect(res.status).toBe(401);
  });
});

describe("switchboard outbox / email / sms CLI", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.close();
  });
  const cli = (...args: string[]) => runCliInProcess([...args, "--data-dir", srv.dataDir]);

  it("email senders and domains add", async () => {
    const managed = `DoNotReply@${managedDomainOf(srv.resource.id)}`;
    const before = await cli("email", "senders", "--json");
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout)).toEqual([managed]);
    const added = await cli("email", "domains", "add", "mail.contoso.example", "--senders", "alerts,billing");
    expect(added).toMatchObject({ code: 0 });
    expect(JSON.parse((await cli("email", "senders", "--json")).stdout)).toEqual([managed, "alerts@mail.contoso.example", "billing@mail.contoso.example"]);
    const bad = await cli("email", "domains", "add", "not a domain");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a valid domain/);
    // The running server accepts the new sender at once (the domain list is read per request).
    const email = new EmailClient(srv.connectionString("https"));
    const result = await (
      await email.beginSend({ senderAddress: "billing@mail.contoso.example", content: { subject: "Invoice", plainText: "due" }, recipients: { to: [{ address: "c@example.com" }] } })
    ).pollUntilDone();
    expect(result.status).toBe("Succeeded");
  }, 60_000);

  it("outbox list --json, show, clear; sms webhooks add/list/remove", async () => {
    const [sender] = await buyNumbers(srv);
    const [sent] = await new SmsClient(srv.connectionString("https")).send({ from: sender!, to: ["+14255550111"], message: "cli check" });
    const list = await cli("outbox", "list", "--json");
    expect(list.code).toBe(0);
    const messages = JSON.parse(list.stdout);
    expect(Array.isArray(messages)).toBe(true);
    const sms = messages.find((m: any) => m.id === sent!.messageId);
    expect(sms).toMatchObject({ kind: "sms", from: sender, to: ["+14255550111"], text: "cli check", content: "cli check" });
    expect(Date.parse(sms.createdAt)).not.toBeNaN();
    const email = messages.find((m: any) => m.kind === "email");
    expect(email).toMatchObject({ subject: "Invoice", to: ["c@example.com"], text: "due" });

    const shown = await cli("outbox", "show", sent!.messageId!);
    expect(shown.stdout).toContain("cli check");
    expect(shown.stdout).toContain(`from:     ${sender}`);
    expect(JSON.parse((await cli("outbox", "show", sent!.messageId!, "--json")).stdout)).toMatchObject({ id: sent!.messageId });
    expect((await cli("outbox", "list")).stdout).toContain(sent!.messageId!);

    expect((await cli("sms", "webhooks", "add", "https://hooks.example/sms")).code).toBe(0);
    expect(JSON.parse((await cli("sms", "webhooks", "list", "--json")).stdout)).toEqual(["https://hooks.example/sms"]);
    expect((await cli("sms", "webhooks", "remove", "https://hooks.example/sms")).code).toBe(0);
    expect(JSON.parse((await cli("sms", "webhooks", "list", "--json")).stdout)).toEqual([]);

    expect((await cli("outbox", "clear", "--kind", "sms")).stdout).toMatch(/deleted [1-9]\d* message/);
    expect(JSON.parse((await cli("outbox", "list", "--json")).stdout).map((m: any) => m.kind)).toEqual(["email"]);
  }, 120_000); // a dozen CLI processes on a shared 2-core machine
});
