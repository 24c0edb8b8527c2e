import { SmsClient } from "@azure/communication-sms";
import { beforeAll, describe, expect, it } from "vitest";
import type { Resource } from "../../src/resources/resource.js";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import type { TestServer } from "../support/test-server.js";
import { api, readOutbox, requestWithHost, smsServer } from "./helpers.js";

const V = "2021-03-07";

describe.each(backendNames)("SMS refusals, opt-outs, repeatability and delivery reports (%s)", (backend) => {
  const server = smsServer(backend);
  let srv: TestServer;
  let sender: string;
  let key: string;
  beforeAll(() => void ({ srv, sender, key } = server));
  const client = () => new SmsClient(srv.connectionString("http"), { allowInsecureConnection: true });
  const post = (path: string, body: string | object, apiVersion = V) => signedFetch(api(srv, path, apiVersion), { method: "POST", accessKey: key, body });

  it("opt-outs: add, check and remove; an opted-out recipient is refused inside the 202 and not sent", async () => {
    const to = "+14255550140";
    const added = await post("/sms/optouts:add", { from: sender, recipients: [{ to }, { to: "bogus" }] }, "2026-01-23");
    expect(added.status).toBe(200);
    expect(added.body.value).toEqual([
      { to, httpStatusCode: 200, isOptedOut: true },
      { to: "bogus", httpStatusCode: 400, errorMessage: "Invalid To phone number format." },
    ]);
    const checked = await post("/sms/optouts:check", { from: sender, recipients: [{ to }, { to: "+14255550141" }] }, "2026-01-23");
    expect(checked.body.value).toEqual([
      { to, httpStatusCode: 200, isOptedOut: true },
      { to: "+14255550141", httpStatusCode: 200, isOptedOut: false },
    ]);

    const before = (await readOutbox(srv)).length;
    const [refused, sent] = await client().send({ from: sender!, to: [to, "+14255550141"], message: "promo" });
    expect(refused).toMatchObject({ to, httpStatusCode: 403, successful: false, repeatabilityResult: "rejected" });
    expect(refused!.errorMessage).toMatch(/opted out/);
    expect(sent).toMatchObject({ httpStatusCode: 202, successful: true });
    expect((await readOutbox(srv)).length).toBe(before + 1);

    const removed = await post("/sms/optouts:remove", { from: sender, recipients: [{ to }] }, "2026-01-23");
    expect(removed.body.value).toEqual([{ to, httpStatusCode: 200, isOptedOut: false }]);
    const [now] = await client().send({ from: sender!, to: [to], message: "promo" });
    expect(now).toMatchObject({ httpStatusCode: 202, successful: true });

    const foreign = await post("/sms/optouts:add", { from: "+18005550199", recipients: [{ to }] }, "2026-01-23");
    expect(foreign).toMatchObject({ status: 401, body: { error: { code: "Unauthorized" } } });
  });

  it("a repeated repeatabilityRequestId is not sent twice and says so", async () => {
    const body = {
      from: sender,
      smsRecipients: [{ to: "+14255550150", repeatabilityRequestId: crypto.randomUUID(), repeatabilityFirstSent: new Date().toUTCString() }],
      message: "only once",
      smsSendOptions: { enableDeliveryReport: false },
    };
    const first = await post("/sms", body);
    expect(first.status).toBe(202);
    expect(first.body.value[0]).toMatchObject({ httpStatusCode: 202, successful: true, repeatabilityResult: "accepted" });
    const second = await post("/sms", body);
    expect(second.status).toBe(202);
    expect(second.body.value[0]).toMatchObject({
      to: "+14255550150",
      messageId: first.body.value[0].messageId,
      httpStatusCode: 409,
      successful: false,
      repeatabilityResult: "rejected",
    });
    expect(second.body.value[0].errorMessage).toMatch(/already accepted/);
    expect((await readOutbox(srv)).filter((m) => m.to[0] === "+14255550150")).toHaveLength(1);

    // Concurrent repeats: still exactly one message.
    const racing = { ...body, smsRecipients: [{ ...body.smsRecipients[0]!, to: "+14255550151", repeatabilityRequestId: crypto.randomUUID() }] };
    const results = await Promise.all(Array.from({ length: 5 }, () => post("/sms", racing)));
    expect(results.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    expect(results.filter((r) => r.body.value[0].successful)).toHaveLength(1);
    expect((await readOutbox(srv)).filter((m) => m.to[0] === "+14255550151")).toHaveLength(1);

    const badDate = await post("/sms", { ...body, smsRecipients: [{ ...body.smsRecipients[0], repeatabilityRequestId: crypto.randomUUID(), repeatabilityFirstSent: "yesterday" }] });
    expect(badDate.body.value[0]).toMatchObject({ httpStatusCode: 400, successful: false, repeatabilityResult: "rejected" });
  });

  it("a delivery report can be read back for an accepted message", async () => {
    const [r] = await client().send({ from: sender!, to: ["+14255550160"], message: "report me" }, { enableDeliveryReport: true, tag: "t1" });
    const report = await signedFetch(api(srv, `/deliveryReports/${r!.messageId}`, "2026-01-23"), { accessKey: key });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ messageId: r!.messageId, from: sender, to: "+14255550160", deliveryStatus: "Delivered", tag: "t1" });
    expect(report.body.deliveryAttempts[0]).toMatchObject({ segmentsSucceeded: 1, segmentsFailed: 0 });
    const missing = await signedFetch(api(srv, "/deliveryReports/Outgoing_nope", "2026-01-23"), { accessKey: key });
    expect(missing).toMatchObject({ status: 404, body: { error: { code: "DeliveryReportNotFound" } } });
  });

  it("another resource cannot send from this resource's number", async () => {
    const other: Resource = await srv.server.core.resources.create(`other-${backend}`, ["other.localhost"]);
    await srv.server.core.registry.settled();
    const res = await requestWithHost(
      Number(new URL(srv.httpUrl).port),
      "other.localhost",
      other.keys.primary.value,
      "POST",
      `/sms?api-version=${V}`,
      JSON.stringify({ from: sender, smsRecipients: [{ to: "+14255550170" }], message: "spoof" }),
    );
    expect(res).toMatchObject({ status: 401, body: { error: { code: "Unauthorized" } } });
    expect(res.headers["x-ms-error-code"]).toBe("Unauthorized");
  });

  it("malformed requests get 4xx in the ACS error shape, never 500, and nothing is stored", async () => {
    const before = (await readOutbox(srv)).length;
    const cases: Array<[string | object, number, string]> = [
      ["{not json", 400, "InvalidJson"],
      [{}, 400, "InvalidRequestBody"],
      [{ from: sender, smsRecipients: [], message: "x" }, 400, "InvalidRequestBody"],
      [{ from: sender, smsRecipients: [{ to: 14255550123 }], message: "x" }, 400, "InvalidRequestBody"],
      [{ from: sender, smsRecipients: [{ to: "+14255550123" }], message: "x".repeat(2049) }, 400, "MessageTooLong"],
      [{ from: sender, smsRecipients: Array.from({ length: 101 }, (_, i) => ({ to: `+1425555${String(i).padStart(4, "0")}` })), message: "x" }, 400, "TooManyRecipients"],
      [{ from: sender, smsRecipients: [{ to: "+14255550123" }], message: "x", smsSendOptions: { enableDeliveryReport: "yes" } }, 400, "InvalidRequestBody"],
    ];
    for (const [body, status, code] of cases) {
      const res = await post("/sms", body);
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
    }
    const noVersion = await signedFetch(`${srv.httpUrl}/sms`, { method: "POST", accessKey: key, body: { from: sender, smsRecipients: [{ to: "+14255550123" }], message: "x" } });
    expect(noVersion).toMatchObject({ status: 400, body: { error: { code: "MissingApiVersion" } } });
    expect((await readOutbox(srv)).length).toBe(before);
  });
});
