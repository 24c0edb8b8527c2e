import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../scale/child-server.js";
import { buyNumbers, readOutbox } from "../messaging/helpers.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/** `switchboard sms receive` against the data dir of a running server (SQLite; the service is tested on both backends). */
describe("switchboard sms receive", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.close();
  });

  it("lands in the outbox as inbound; STOP opts the phone out; an unowned number is refused", async () => {
    const [number] = await buyNumbers(srv);
    const out = JSON.parse(await runCli(["sms", "receive", "--from", "+14255550190", "--to", number!, "--message", "STOP", "--json", "--data-dir", srv.dataDir]));
    expect(out).toMatchObject({ messageId: expect.stringMatching(/^Incoming_/), optOut: "added" });
    const [inbound] = await readOutbox(srv);
    expect(inbound).toMatchObject({ id: out.messageId, kind: "sms", from: "+14255550190", to: [number], text: "STOP", direction: "inbound", optOut: "added" });
    const opted = await srv.server.core.messaging.sms.optOut(srv.resource, "check", number!, [{ to: "+14255550190" }]);
    expect(opted).toEqual([{ to: "+14255550190", httpStatusCode: 200, isOptedOut: true }]);
    const other = number!.replace(/\d$/, (d) => String((Number(d) + 1) % 10)); // a number the resource did not buy
    await expect(runCli(["sms", "receive", "--from", "+14255550190", "--to", other, "--message", "hi", "--data-dir", srv.dataDir])).rejects.toThrow(
      /is not a phone number of this resource/,
    );
  }, 120_000);
});
