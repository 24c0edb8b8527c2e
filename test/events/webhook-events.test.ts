import { EventGridDeserializer, isSystemEvent, type EventGridEvent } from "@azure/eventgrid";
import { SmsClient } from "@azure/communication-sms";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startChatFixture, type ChatFixture } from "../chat/chat-fixture.js";
import { buyNumbers } from "../messaging/helpers.js";
import { signedFetch } from "../support/signed-fetch.js";
import { startWebhookReceiver, waitFor, type WebhookReceiver } from "./webhook-receiver.js";

const deserializer = new EventGridDeserializer();

/** Every Event Grid event the receiver got, parsed by @azure/eventgrid. */
async function eventGridEvents(receiver: WebhookReceiver): Promise<EventGridEvent<any>[]> {
  const out: EventGridEvent<any>[] = [];
  for (const r of receiver.notifications().filter((n) => n.status === 200)) out.push(...(await deserializer.deserializeEventGridEvents(r.body)));
  return out;
}

describe.each(backendNames)("Event Grid events to webhooks (%s)", (backend) => {
  let fx: ChatFixture;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    fx = await startChatFixture({ backend, config: { events: { pollMs: 20, retryDelaysMs: [300] } } });
  });
  afterAll(async () => {
    await fx.srv.close();
  });
  beforeEach(async () => {
    for (const s of await fx.srv.server.core.events.subscriptions.list(fx.srv.resource.id)) {
      await fx.srv.server.core.events.subscriptions.delete(fx.srv.resource.id, s.id);
    }
    receiver = await startWebhookReceiver();
    return () => receiver.close();
  });
  const subscriptions = () => fx.srv.server.core.events.subscriptions;

  it("activates a subscription only after the SubscriptionValidationEvent handshake", async () => {
    const ok = await subscriptions().subscribe(fx.srv.resource, { endpoint: receiver.url });
    expect(ok.status).toBe("active");
    const [validation] = receiver.received;
    expect(validation!.headers["aeg-event-type"]).toBe("SubscriptionValidation");
    const [event] = await deserializer.deserializeEventGridEvents(validation!.body);
    expect(isSystemEvent("Microsoft.EventGrid.SubscriptionValidationEvent", event!)).toBe(true);
    expect((event!.data as { validationCode: string }).validationCode).toMatch(/^[0-9A-F]{32}$/);

    receiver.handshake = "wrong";
    const wrong = await subscriptions().subscribe(fx.srv.resource, { endpoint: receiver.url });
    expect(wrong).toMatchObject({ status: "failed", statusDetail: "validationResponse does not match the validationCode" });
    receiver.handshake = "refuse";
    expect((await subscriptions().subscribe(fx.srv.resource, { endpoint: receiver.url })).status).toBe("failed");
    expect((await subscriptions().list(fx.srv.resource.id)).map((s) => s.status)).toEqual(["active", "failed", "failed"]);
  });

  it("CloudEvents subscriptions pass the OPTIONS / WebHook-Request-Origin handshake", async () => {
    const ok = await subscriptions().subscribe(fx.srv.resource, { endpoint: receiver.url, schema: "cloudevents" });
    expect(ok.status).toBe("active");
    expect(receiver.received[0]).toMatchObject({ method: "OPTIONS", headers: expect.objectContaining({ "webhook-request-origin": "eventgrid.azure.net" }) });
    receiver.handshake = "wrong"; // answers 200 without WebHook-Allowed-Origin
    expect(await subscriptions().subscribe(fx.srv.resource, { endpoint: receiver.url, schema: "cloudevents" })).toMatchObject({
      status: "failed",
      statusDetail: "WebHook-Allowed-Origin does not allow eventgrid.azure.net",
    });
  });

  it("REST API: subscribe (handshake first), list, failures, delete; bad input is a 4xx in the ACS error shape", async () => {
    const accessKey = fx.srv.currentResource().keys.primary.value;
    const url = `${fx.srv.httpUrl}/events/subscriptions`;
    const created = await signedFetch(url, { method: "POST", body: { endpoint: receiver.url, schema: "eventgrid", types: ["Microsoft.Communication.SMSReceived"] }, accessKey });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "active", endpoint: receiver.url, types: ["Microsoft.Communication.SMSReceived"] });
    expect(receiver.received).toHaveLength(1); // the handshake happened before the answer
    const listed = await signedFetch(url, { accessKey });
    expect(listed.body.value.map((s: { id: string }) => s.id)).toEqual([created.body.id]);
    expect((await signedFetch(`${fx.srv.httpUrl}/events/failures`, { accessKey })).body).toEqual({ value: [] });

    const metadata = await signedFetch(url, { method: "POST", body: { endpoint: "http://169.254.169.254/latest" }, accessKey });
    expect(metadata.status).toBe(400);
    expect(metadata.body.error).toMatchObject({ code: "InvalidRequestBody", message: expect.stringContaining("metadata") });
    const badSchema = await signedFetch(url, { method: "POST", body: { endpoint: receiver.url, schema: "xml" }, accessKey });
    expect(badSchema.status).toBe(400);
    expect(badSchema.body.error.code).toBeTypeOf("string");
    const unsigned = await fetch(url);
    expect(unsigned.status).toBe(401);

    expect((await signedFetch(`${url}/${created.body.id}`, { method: "DELETE", accessKey })).status).toBe(204);
    const again = await signedFetch(`${url}/${created.body.id}`, { method: "DELETE", accessKey });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("NotFound");
  });

  it("rejects metadata, link-local and unlisted endpoints before contacting them", async () => {
    for (const endpoint of ["http://169.254.169.254/latest/meta-data", "http://[fd00:ec2::254]/", "http://metadata.google.internal/", "http://example.com/hook", "ftp://127.0.0.1/x"]) {
      await expect(subscriptions().subscribe(fx.srv.resource, { endpoint })).rejects.toMatchObject({ name: "EventsInputError" });
    }
    expect(await subscriptions().list(fx.srv.resource.id)).toEqual([]);
  });

  it("chat events: ChatMessageReceived per recipient, edited, deleted, thread created per user, with ACS data", async () => {
    await subscriptions().subscribe(fx.srv.resource, { endpoint: receiver.url });
    const alice = await fx.newUser();
    const bob = await fx.newUser();
    const carol = await fx.newUser();
    const { chatThread } = await alice.chat.createChatThread(
      { topic: "Events" },
      { participants: [{ id: bob.user, displayName: "Bob" }, { id: carol.user, displayName: "Carol" }] },
    );
    const thread = alice.chat.getChatThreadClient(chatThread!.id);
    const { id: messageId } = await thread.sendMessage({ content: "hello events" }, { senderDisplayName: "Alice", metadata: { k: "v" } });
    await thread.updateMessage(messageId, { content: "hello edited" });
    await thread.deleteMessage(messageId);

    const events = await waitFor(async () => {
      const all = await eventGridEvents(receiver);
      return all.filter((e) => e.eventType === "Microsoft.Communication.ChatMessageDeleted").length === 2 && all;
    }, "chat events");
    for (const e of events) expect(isSystemEvent(e.eventType as any, e)).toBe(true);

    const received = events.filter((e) => isSystemEvent("Microsoft.Communication.ChatMessageReceived", e));
    expect(received.map((e) => e.data.recipientCommunicationIdentifier.rawId).sort()).toEqual([bob.id, carol.id].sort());
    for (const e of received) {
      const recipient = e.data.recipientCommunicationIdentifier.rawId;
      expect(e.subject).toBe(`thread/${chatThread!.id}/sender/${alice.id}/recipient/${recipient}`);
      expect(e.topic).toMatch(/providers\/Microsoft\.Communication\/CommunicationServices\//);
      expect(e.eventTime).toBeInstanceOf(Date);
      expect(e.data).toMatchObject({
        messageBody: "hello events",
        messageId,
        senderCommunicationIdentifier: { rawId: alice.id, communicationUser: { id: alice.id } },
        recipientCommunicationIdentifier: { rawId: recipient, communicationUser: { id: recipient } },
        senderDisplayName: "Alice",
        type: "Text",
        threadId: chatThread!.id,
        metadata: { k: "v" },
      });
      expect(Date.parse(String(e.data.composeTime))).not.toBeNaN();
      expect(typeof e.data.transactionId).toBe("string");
      expect(typeof e.data.version).toBe("number");
    }
    const inThread = events.filter((e) => e.eventType === "Microsoft.Communication.ChatMessageReceivedInThread");
    expect(inThread).toHaveLength(1);
    expect(inThread[0]!.subject).toBe(`thread/${chatThread!.id}/sender/${alice.id}`);

    const edited = events.filter((e) => isSystemEvent("Microsoft.Communication.ChatMessageEdited", e));
    expect(edited.map((e) => e.data.messageBody)).toEqual(["hello edited", "hello edited"]);
    expect(Date.parse(String(edited[0]!.data.editTime))).not.toBeNaN();
    const deleted = events.filter((e) => isSystemEvent("Microsoft.Communication.ChatMessageDeleted", e));
    expect(deleted.map((e) => e.data.recipientCommunicationIdentifier.rawId).sort()).toEqual([bob.id, carol.id].sort());
    expect(Date.parse(deleted[0]!.data.deleteTime)).not.toBeNaN();

    const created = events.filter((e) => isSystemEvent("Microsoft.Communication.ChatThreadCreatedWithUser", e));
    expect(created.map((e) => e.data.recipientCommunicationIdentifier.rawId).sort()).toEqual([alice.id, bob.id, carol.id].sort());
    expect(created[0]!.data).toMatchObject({
      createdByCommunicationIdentifier: { rawId: alice.id },
      properties: { topic: "Events" },
      threadId: chatThread!.id,
      participants: expect.arrayContaining([expect.objectContaining({ displayName: "Bob", participantCommunicationIdentifier: expect.objectContaining({ rawId: bob.id }) })]),
    });
    expect(events.filter((e) => e.eventType === "Microsoft.Communication.ChatThreadCreated")).toHaveLength(1);
  });

  it("participant, thread update and thread deletion events", async () => {
    await subscriptions().subscribe(fx.srv.resource, {
      endpoint: receiver.url,
      types: [
        "Microsoft.Communication.ChatParticipantAddedToThreadWithUser",
        "Microsoft.Communication.ChatParticipantRemovedFromThreadWithUser",
        "Microsoft.Communication.ChatThreadPropertiesUpdatedPerUser",
        "Microsoft.Communication.ChatThreadWithUserDeleted",
        "Microsoft.Communication.ChatThreadDeleted",
      ],
    });
    const alice = await fx.newUser();
    const bob = await fx.newUser();
    const { chatThread } = await alice.chat.createChatThread({ topic: "P" });
    const thread = alice.chat.getChatThreadClient(chatThread!.id);
    await thread.addParticipants({ participants: [{ id: bob.user, displayName: "Bob" }] });
    await thread.updateTopic("P2");
    await thread.removeParticipant(bob.user);
    await alice.chat.deleteChatThread(chatThread!.id);
    const events = await waitFor(async () => {
      const all = await eventGridEvents(receiver);
      return all.some((e) => e.eventType === "Microsoft.Communication.ChatThreadDeleted") && all;
    }, "participant events");
    const types = events.map((e) => e.eventType);
    // Subscribed types only: no message or thread-created events.
    expect(new Set(types)).toEqual(
      new Set([
        "Microsoft.Communication.ChatParticipantAddedToThreadWithUser",
        "Microsoft.Communication.ChatParticipantRemovedFromThreadWithUser",
        "Microsoft.Communication.ChatThreadPropertiesUpdatedPerUser",
        "Microsoft.Communication.ChatThreadWithUserDeleted",
        "Microsoft.Communication.ChatThreadDeleted",
      ]),
    );
    const added = events.filter((e) => isSystemEvent("Microsoft.Communication.ChatParticipantAddedToThreadWithUser", e));
    expect(added.map((e) => e.data.recipientCommunicationIdentifier.rawId).sort()).toEqual([alice.id, bob.id].sort());
    expect(added[0]!.data).toMatchObject({ addedByCommunicationIdentifier: { rawId: alice.id }, participantAdded: { displayName: "Bob", participantCommunicationIdentifier: { rawId: bob.id } } });
    const updated = events.filter((e) => isSystemEvent("Microsoft.Communication.ChatThreadPropertiesUpdatedPerUser", e));
    expect(updated[0]!.data).toMatchObject({ editedByCommunicationIdentifier: { rawId: alice.id }, properties: { topic: "P2" } });
    const removed = events.filter((e) => isSystemEvent("Microsoft.Communication.ChatParticipantRemovedFromThreadWithUser", e));
    expect(removed.map((e) => e.data.recipientCommunicationIdentifier.rawId).sort()).toEqual([alice.id, bob.id].sort());
    expect(removed[0]!.data.participantRemoved.participantCommunicationIdentifier.rawId).toBe(bob.id);
    const withUserDeleted = events.filter((e) => isSystemEvent("Microsoft.Communication.ChatThreadWithUserDeleted", e));
    expect(withUserDeleted.map((e) => e.data.recipientCommunicationIdentifier.rawId)).toEqual([alice.id]);
    expect(withUserDeleted[0]!.data.deletedByCommunicationIdentifier.rawId).toBe(alice.id);
  });

  it("a 503 is retried on the schedule and the same events then arrive", async () => {
    await subscriptions().subscribe(fx.srv.resource, { endpoint: receiver.url, types: ["Microsoft.Communication.ChatMessageReceived"] });
    receiver.failNext(503);
    const alice = await fx.newUser();
    const bob = await fx.newUser();
    const { chatThread } = await alice.chat.createChatThread({ topic: "R" }, { participants: [{ id: bob.user }] });
    await alice.chat.getChatThreadClient(chatThread!.id).sendMessage({ content: "retry me" });
    const ok = await waitFor(() => receiver.notifications().find((r) => r.status === 200), "the retried delivery");
    const [failed] = receiver.notifications();
    expect(failed!.status).toBe(503);
    expect(ok.body).toBe(failed!.body);
    expect(ok.headers["aeg-delivery-count"]).toBe("1");
    const [event] = await deserializer.deserializeEventGridEvents(ok.body);
    expect((event!.data as { messageBody: string }).messageBody).toBe("retry me");
    expect(await subscriptions().failures(fx.srv.resource.id)).toEqual([]);
  });

  it("CloudEvents schema: inbound SMS raises SMSReceived as a CloudEvents batch", async () => {
    const [number] = await buyNumbers(fx.srv);
    await subscriptions().subscribe(fx.srv.resource, { endpoint: receiver.url, schema: "cloudevents" });
    const { messageId } = await fx.srv.server.core.events.inboundSms.receive(fx.srv.resource, { from: "+14255550111", to: number!, message: "hi there" });
    const post = await waitFor(() => receiver.notifications().find((r) => r.status === 200), "the SMSReceived delivery");
    expect(post.headers["content-type"]).toBe("application/cloudevents-batch+json; charset=utf-8");
    const [event] = await deserializer.deserializeCloudEvents(post.body);
    expect(isSystemEvent("Microsoft.Communication.SMSReceived", event!)).toBe(true);
    expect(event).toMatchObject({ specversion: "1.0", type: "Microsoft.Communication.SMSReceived", subject: `/phonenumber/${number!.slice(1)}` });
    expect(event!.source).toMatch(/CommunicationServices\//);
    expect(event!.data).toMatchObject({ messageId, from: "+14255550111", to: number, message: "hi there", segmentCount: 1 });
    expect(Date.parse((event!.data as any).receivedTimestamp)).not.toBeNaN();
  });

  it("STOP opts the phone out (sends to it then fail with 403), START opts it back in; SMSDeliveryReportReceived", async () => {
    const [number] = await buyNumbers(fx.srv);
    await subscriptions().subscribe(fx.srv.resource, { endpoint: receiver.url });
    const inbound = fx.srv.server.core.events.inboundSms;
    const sms = new SmsClient(fx.srv.connectionString("https"));
    expect(await inbound.receive(fx.srv.resource, { from: "+14255550112", to: number!, message: " stop " })).toMatchObject({ optOut: "added" });
    const [refused] = await sms.send({ from: number!, to: ["+14255550112"], message: "still there?" });
    expect(refused).toMatchObject({ successful: false, httpStatusCode: 403 });
    expect(await inbound.receive(fx.srv.resource, { from: "+14255550112", to: number!, message: "START" })).toMatchObject({ optOut: "removed" });
    const [sent] = await sms.send({ from: number!, to: ["+14255550112"], message: "welcome back" }, { enableDeliveryReport: true, tag: "t1" });
    expect(sent).toMatchObject({ successful: true, httpStatusCode: 202 });

    const events = await waitFor(async () => {
      const all = await eventGridEvents(receiver);
      return all.some((e) => e.eventType === "Microsoft.Communication.SMSDeliveryReportReceived") && all;
    }, "the delivery report");
    // Event Grid does not promise delivery order (events of one batch may arrive in any order): compare as a set.
    expect(events.filter((e) => isSystemEvent("Microsoft.Communication.SMSReceived", e)).map((e) => e.data.message).sort()).toEqual([" stop ", "START"].sort());
    const report = events.find((e) => isSystemEvent("Microsoft.Communication.SMSDeliveryReportReceived", e))!;
    expect(report.subject).toBe("/phonenumber/14255550112");
    expect(report.data).toMatchObject({ messageId: sent!.messageId, from: number, to: "+14255550112", deliveryStatus: "Delivered", tag: "t1" });
    expect(report.data.deliveryAttempts[0]).toMatchObject({ segmentsSucceeded: 1, segmentsFailed: 0 });
  });

  it("inbound SMS to a number the resource does not own is refused", async () => {
    await expect(fx.srv.server.core.events.inboundSms.receive(fx.srv.resource, { from: "+14255550113", to: "+18005550000", message: "x" })).rejects.toMatchObject({
      code: "NumberNotOwned",
    });
    await expect(fx.srv.server.core.events.inboundSms.receive(fx.srv.resource, { from: "12", to: "+18005550000", message: "x" })).rejects.toMatchObject({
      code: "InvalidPhoneNumber",
    });
  });
});
