import { PhoneNumbersClient } from "@azure/communication-phone-numbers";
import { SmsClient } from "@azure/communication-sms";
import { SmsClient as SmsClientBeta } from "@azure/communication-sms-1.2-beta";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChatFixture, type ChatFixture } from "../chat/chat-fixture.js";
import { buyNumbers } from "../messaging/helpers.js";
import { backendNames } from "../support/backends.js";

/**
 * The rest of the fidelity pass: further facts the Azure SDK for JS live tests assert (identity, sms, phone
 * numbers, chat), beyond issue 20's table, through the official clients on both backends.
 */
const NO_RETRY = { retryOptions: { maxRetries: 0 } };

describe.each(backendNames)("other behaviour the SDK live tests assert (%s)", (backend) => {
  let fx: ChatFixture;
  let numbers: string[];
  beforeAll(async () => {
    fx = await startChatFixture({ backend });
    numbers = await buyNumbers(fx.srv, { quantity: 2 });
  });
  afterAll(async () => {
    await fx?.srv.close();
  });
  const phone = () => new PhoneNumbersClient(fx.srv.connectionString("https"), NO_RETRY);

  it("identity: createUserAndToken with no scopes is the same 400 as getToken", async () => {
    await expect(fx.identity.createUserAndToken([])).rejects.toMatchObject({ statusCode: 400, code: "ValidationError", message: "Invalid scopes - Scopes field is required." });
  });

  it("identity: token lifetimes 60 and 1440 are issued, 59 and 1441 are 400 (getToken and createUserAndToken)", async () => {
    const user = await fx.identity.createUser();
    for (const minutes of [60, 1440]) {
      const { expiresOn } = await fx.identity.getToken(user, ["chat"], { tokenExpiresInMinutes: minutes });
      expect(Math.abs(expiresOn.getTime() - Date.now() - minutes * 60_000)).toBeLessThan(minutes * 60_000 * 0.05);
    }
    for (const minutes of [59, 1441]) {
      await expect(fx.identity.getToken(user, ["chat"], { tokenExpiresInMinutes: minutes })).rejects.toMatchObject({ statusCode: 400 });
      await expect(fx.identity.createUserAndToken(["chat"], { tokenExpiresInMinutes: minutes })).rejects.toMatchObject({ statusCode: 400 });
    }
  });

  it("sms: each send is a new message; deliveryReportTimeoutInSeconds (1.2 beta) is accepted", async () => {
    const request = { from: numbers[0]!, to: [numbers[1]!], message: "test message" };
    const [first] = await new SmsClient(fx.srv.connectionString("https"), NO_RETRY).send(request, { enableDeliveryReport: true, tag: "SMS_LIVE_TEST" });
    const [second] = await new SmsClientBeta(fx.srv.connectionString("https"), NO_RETRY).send(request, {
      enableDeliveryReport: true,
      tag: "SMS_LIVE_TEST",
      deliveryReportTimeoutInSeconds: 300,
    });
    for (const r of [first, second]) expect(r).toMatchObject({ to: numbers[1], httpStatusCode: 202, successful: true, repeatabilityResult: "accepted" });
    expect(first!.messageId).not.toBe(second!.messageId);
  });

  it("phone numbers: updating a number of no one is 403, releasing it 404; an invalid number is 400", async () => {
    const update = { calling: "none", sms: "outbound" } as const;
    // Recorded (2022-12-01): 403 {"code":"InsufficientPermissions","message":"Phone number not owned by this resource.","target":"phonenumber"}
    await expect(phone().beginUpdatePhoneNumberCapabilities("+14155550100", update).then((p) => p.pollUntilDone())).rejects.toMatchObject({
      statusCode: 403,
      code: "InsufficientPermissions",
      message: "Phone number not owned by this resource.",
    });
    await expect(phone().beginReleasePhoneNumber("+14155550100").then((p) => p.pollUntilDone())).rejects.toMatchObject({ statusCode: 404, code: "NotFound" });
    await expect(phone().beginUpdatePhoneNumberCapabilities("invalid_phone_number", update).then((p) => p.pollUntilDone())).rejects.toMatchObject({
      statusCode: 400,
      code: "InvalidPhoneNumber",
      message: expect.stringMatching(/^Invalid telephone number '\+?invalid_phone_number'/),
    });
    await expect(phone().getPurchasedPhoneNumber("+1425555012345")).rejects.toMatchObject({ statusCode: 400, code: "InvalidPhoneNumber" });
  });

  it("phone numbers: capabilities update of an owned number succeeds (tenDLCCampaignBriefId is ignored)", async () => {
    const poller = await phone().beginUpdatePhoneNumberCapabilities(numbers[0]!, { calling: "none", sms: "outbound", tenDLCCampaignBriefId: "" } as never);
    expect((await poller.pollUntilDone()).capabilities).toMatchObject({ calling: "none", sms: "outbound" });
  });

  it("phone numbers: browsing an invalid country code is a 4xx", async () => {
    await expect(
      phone().browseAvailablePhoneNumbers({ countryCode: "INVALID", phoneNumberType: "tollFree" }, { assignmentType: "application", capabilities: { sms: "inbound+outbound", calling: "none" } }),
    ).rejects.toMatchObject({ statusCode: 400, code: "CountryNotSupported" });
  });

  it("chat: creating a thread answers 201 with the thread's URL in Location, as ACS records it", async () => {
    const alice = await fx.newUser();
    const res = await fx.call(alice.token, "POST", "/chat/threads?api-version=2025-03-15", { topic: "located" });
    expect(res.status).toBe(201);
    const id: string = res.body.chatThread.id;
    expect(res.headers.get("location")).toBe(`${fx.srv.httpsUrl}/chat/threads/${id.replace(":", "%3A")}`);
    const followed = await fx.call(alice.token, "GET", `${res.headers.get("location")}?api-version=2025-03-15`);
    expect(followed).toMatchObject({ status: 200, body: { id, topic: "located" } });
  });

  it("chat: typing notification returns true; read receipts, message metadata and paging round-trip", async () => {
    const alice = await fx.newUser();
    const bob = await fx.newUser();
    const { chatThread } = await alice.chat.createChatThread({ topic: "test topic" }, { participants: [{ id: alice.user }, { id: bob.user }] });
    const thread = alice.chat.getChatThreadClient(chatThread!.id);
    const { id } = await thread.sendMessage({ content: "content" }, { metadata: { tags: "sometag" } });
    expect(await thread.sendTypingNotification()).toBe(true);
    await thread.sendReadReceipt({ chatMessageId: id });
    expect((await thread.getMessage(id)).metadata).toEqual({ tags: "sometag" });
    const all = [];
    for await (const m of thread.listMessages()) all.push(m);
    const paged = [];
    let pages = 0;
    for await (const page of thread.listMessages({ maxPageSize: 3 }).byPage()) {
      pages++;
      expect(page.length).toBeLessThanOrEqual(3);
      paged.push(...page);
    }
    expect(pages).toBe(Math.ceil(all.length / 3));
    expect(paged).toEqual(all);
    const receipts = [];
    for await (const r of thread.listReadReceipts()) receipts.push(r.chatMessageId);
    expect(receipts).toContain(id);
  });
});
