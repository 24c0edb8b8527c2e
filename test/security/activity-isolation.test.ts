import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bucketOf } from "../../src/activity/activity-bucket.js";
import { ActivityRows } from "../../src/activity/activity-rows.js";
import { summarizeIdentity, listActivity } from "../../src/cli/activity-command.js";
import { managedDomainOf } from "../../src/email/email-domains.js";
import type { Resource } from "../../src/resources/resource.js";
import { backendNames } from "../support/backends.js";
import type { TestServer } from "../support/test-server.js";
import { buyNumbers, requestWithHost } from "../messaging/helpers.js";
import { newUser, startServer } from "./support.js";

/**
 * Flaw 1: with resource B's key, nothing may be filed in the activity record of an identity of resource A: not an
 * SMS tagged with A's identity, not an e-mail naming it in X-Switchboard-Identity, not failed revoke/delete/issue
 * attempts on it. And the CLI reads an identity's record only from its own resource.
 */
describe.each(backendNames)("activity isolation across resources (%s)", (backend) => {
  let srv: TestServer;
  let b: Resource;
  let port: number;
  let victim: string;
  const asB = (method: string, pathAndQuery: string, body = "") => requestWithHost(port, "b.localhost", b.keys.primary.value, method, pathAndQuery, body);

  beforeAll(async () => {
    srv = await startServer(backend);
    port = Number(new URL(srv.httpUrl).port);
    b = await srv.server.core.resources.create(`b-${backend}`, ["b.localhost"]);
    await srv.server.core.registry.settled();
    victim = (await newUser(srv, ["chat"])).id;
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("B's SMS, e-mail and failed identity operations are not filed under A's identity", async () => {
    const core = srv.server.core;
    await core.activity.flush();
    const before = (await core.activityRepository.all(victim)).length;

    const [sender] = await buyNumbers(srv, { resource: b });
    const sms = await asB(
      "POST",
      "/sms?api-version=2021-03-07",
      JSON.stringify({ from: sender, smsRecipients: [{ to: "+14255550170" }], message: "hi", smsSendOptions: { enableDeliveryReport: false, tag: victim } }),
    );
    expect(sms.status).toBe(202);
    const email = await asB(
      "POST",
      "/emails:send?api-version=2025-09-01",
      JSON.stringify({
        senderAddress: `DoNotReply@${managedDomainOf(b.id)}`,
        content: { subject: "s", plainText: "p" },
        recipients: { to: [{ address: "x@example.com" }] },
        headers: { "X-Switchboard-Identity": victim },
      }),
    );
    expect(email.status).toBe(202);
    const id = encodeURIComponent(victim);
    // Another resource's identity: 401 IdentityNotOwned, as ACS answers (docs/fidelity.md).
    expect((await asB("POST", `/identities/${id}/:revokeAccessTokens?api-version=2023-10-01`)).status).toBe(401);
    expect((await asB("DELETE", `/identities/${id}?api-version=2023-10-01`)).status).toBe(401);
    expect((await asB("POST", `/identities/${id}/:issueAccessToken?api-version=2023-10-01`, '{"scopes":["chat"]}')).status).toBe(401);

    await core.activity.flush();
    const after = await core.activityRepository.all(victim);
    expect(after.length - before).toBe(0);
    expect(after.every((e) => e.resourceId === srv.resource.id)).toBe(true);
  });

  it("an SMS of A tagged with A's own identity is still filed under it", async () => {
    const core = srv.server.core;
    const [sender] = await buyNumbers(srv);
    const res = await requestWithHost(port, "127.0.0.1", srv.currentResource().keys.primary.value, "POST", "/sms?api-version=2021-03-07",
      JSON.stringify({ from: sender, smsRecipients: [{ to: "+14255550171" }], message: "hi", smsSendOptions: { enableDeliveryReport: false, tag: victim } }));
    expect(res.status).toBe(202);
    await core.activity.flush();
    expect((await core.activityRepository.all(victim)).some((e) => e.operation === "sms.send")).toBe(true);
  });

  it("the CLI's summary and list read only the identity's own resource", async () => {
    const core = srv.server.core;
    // An event of B filed under A's identity, written straight into the store (as an older version filed them).
    await core.activityRepository.append(
      ActivityRows.of([
        {
          identity: victim,
          bucket: bucketOf(victim),
          event_id: randomUUID(),
          time: Date.now(),
          resource_id: b.id,
          operation: "sms.send",
          status: 202,
          subjects: JSON.stringify([victim]),
        },
      ]),
    );
    expect((await core.activityRepository.all(victim)).some((e) => e.resourceId === b.id)).toBe(true);
    const summary = await summarizeIdentity(core, victim);
    const list = await listActivity(core, { identity: victim });
    expect(list.every((e) => e.resourceId === srv.resource.id)).toBe(true);
    expect(summary.events).toBe(list.length);
  });
});
