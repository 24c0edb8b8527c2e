import { SmsClient } from "@azure/communication-sms";
import { SmsClient as SmsClientBeta } from "@azure/communication-sms-1.2-beta";
import { beforeAll, describe, expect, it } from "vitest";
import { api, requestWithHost, smsServer } from "../messaging/helpers.js";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import type { TestServer } from "../support/test-server.js";

/**
 * The newer SMS surfaces: Opt-Outs through @azure/communication-sms 1.2.0-beta.4 (api-version 2025-05-29-preview,
 * the first beta with `optOuts` is beta.3 at 2024-12-10-preview) and the delivery report GET of the 2026-01-23 spec,
 * which no SDK release calls yet.
 */
const NO_RETRY = { retryOptions: { maxRetries: 0 } };
const SPEC = "2026-01-23";

describe.each(backendNames)("SMS opt-outs and delivery reports as ACS answers them (%s)", (backend) => {
  const server = smsServer(backend);
  let srv: TestServer;
  let sender: string;
  let key: string;
  beforeAll(() => void ({ srv, sender, key } = server));
  const beta = () => new SmsClientBeta(srv.connectionString("https"), NO_RETRY);

  it("optOuts.add / check / remove: one 200 item per recipient; an opted-out recipient is refused by send", async () => {
    const to = ["+14255550180", "+14255550181"];
    expect(await beta().optOuts.add(sender, [to[0]!])).toMatchObject([{ to: to[0], httpStatusCode: 200 }]);
    const checked = await beta().optOuts.check(sender, to);
    expect(checked.map((c) => [c.to, c.httpStatusCode, c.isOptedOut])).toEqual([
      [to[0], 200, true],
      [to[1], 200, false],
    ]);
    const [refused, sent] = await beta().send({ from: sender, to, message: "promo" });
    expect(refused).toMatchObject({ to: to[0], httpStatusCode: 403, successful: false });
    expect(sent).toMatchObject({ to: to[1], httpStatusCode: 202, successful: true });
    expect(await beta().optOuts.remove(sender, [to[0]!])).toMatchObject([{ to: to[0], httpStatusCode: 200 }]);
    expect((await beta().optOuts.check(sender, [to[0]!]))[0]).toMatchObject({ httpStatusCode: 200, isOptedOut: false });
  });

  it("opt-out recipients that are not valid numbers fail per item with ACS's messages", async () => {
    const results = await beta().optOuts.add(sender, ["+14255550182", "+1425555012345", "4255550182"]);
    expect(results.map((r) => [r.to, r.httpStatusCode, r.errorMessage])).toEqual([
      ["+14255550182", 200, ""],
      ["+1425555012345", 400, "Unknown country code."],
      ["4255550182", 400, "Invalid To phone number format."],
    ]);
  });

  it("opt-outs from a number the resource does not own, or from an invalid number: 401", async () => {
    for (const from of ["+14255550123", "+1425555012345"]) {
      await expect(beta().optOuts.check(from, ["+14255550180"])).rejects.toMatchObject({ statusCode: 401, code: "Unauthorized" });
    }
  });

  it("GET /deliveryReports/{id} (2026-01-23): the DeliveryReport of an accepted message", async () => {
    const [r] = await new SmsClient(srv.connectionString("https"), NO_RETRY).send(
      { from: sender, to: ["+14255550183"], message: "report me" },
      { enableDeliveryReport: true, tag: "fidelity" },
    );
    const report = await signedFetch(api(srv, `/deliveryReports/${encodeURIComponent(r!.messageId!)}`, SPEC), { accessKey: key });
    expect(report.status).toBe(200);
    expect(report.body).toEqual({
      messageId: r!.messageId,
      from: sender,
      to: "+14255550183",
      deliveryStatus: "Delivered",
      deliveryStatusDetails: expect.any(String),
      receivedTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      deliveryAttempts: [{ timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), segmentsSucceeded: 1, segmentsFailed: 0 }],
      tag: "fidelity",
    });

    // Another resource cannot read it: the same 404 as an unknown id.
    const other = await srv.server.core.resources.create(`reports-${backend}`, ["reports.localhost"]);
    await srv.server.core.registry.settled();
    const foreign = await requestWithHost(Number(new URL(srv.httpUrl).port), "reports.localhost", other.keys.primary.value, "GET", `/deliveryReports/${encodeURIComponent(r!.messageId!)}?api-version=${SPEC}`);
    expect(foreign.status).toBe(404);
  });

  it("an unknown message id: 404 with the spec's problem details (type, title, status, traceId) and the ACS error", async () => {
    const missing = await signedFetch(api(srv, "/deliveryReports/Outgoing_nope", SPEC), { accessKey: key });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      type: expect.stringMatching(/^https:\/\//),
      title: expect.any(String),
      status: 404,
      traceId: missing.headers.get("x-ms-request-id"),
      error: { code: "DeliveryReportNotFound", message: expect.any(String) },
    });
    expect(missing.headers.get("x-ms-error-code")).toBe("DeliveryReportNotFound");
  });
});
