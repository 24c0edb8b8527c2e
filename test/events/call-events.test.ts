import { EventGridDeserializer, isSystemEvent, type EventGridEvent } from "@azure/eventgrid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { openSignaling, ringingCall, type SignalingTestClient } from "../support/signaling-client.js";
import { startWebhookReceiver, waitFor, type WebhookReceiver } from "./webhook-receiver.js";

const deserializer = new EventGridDeserializer();
const user = (id: string) => ({ kind: "communicationUser", rawId: id, communicationUser: { id } });

describe.each(backendNames)("call events on the event outbox (%s)", (backend) => {
  let srv: TestServer;
  let receiver: WebhookReceiver;
  const sockets: SignalingTestClient[] = [];
  beforeAll(async () => {
    srv = await startTestServer({ backend, config: { events: { pollMs: 20 } } });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await receiver?.close();
    await srv?.close();
  });

  it("CallStarted, CallParticipantAdded/Removed and CallEnded reach a subscriber, parsed by @azure/eventgrid as system events", async () => {
    const sub = await srv.server.core.events.subscriptions.subscribe(srv.resource, {
      endpoint: receiver.url,
      types: ["Microsoft.Communication.CallStarted", "Microsoft.Communication.CallEnded", "Microsoft.Communication.CallParticipantAdded", "Microsoft.Communication.CallParticipantRemoved"],
    });
    expect(sub.status).toBe("active");
    const { a: caller, b: callee, sa: s1, sb: s2, callId } = await ringingCall(srv, () => {
      const s = openSignaling(srv);
      sockets.push(s);
      return s;
    });
    s2.send({ type: "accept", callId });
    await s2.next("joined");
    s2.send({ type: "hangUp", callId });
    await s1.next("callEnded");

    const events = await waitFor(async () => {
      const all: EventGridEvent<any>[] = [];
      for (const n of receiver.notifications().filter((r) => r.status === 200)) all.push(...(await deserializer.deserializeEventGridEvents(n.body)));
      return all.filter((e) => e.data?.serverCallId === callId).length >= 6 ? all.filter((e) => e.data?.serverCallId === callId) : undefined;
    }, "six call events");
    const byType = (t: string) => events.filter((e) => e.eventType === `Microsoft.Communication.${t}`);
    expect(events).toHaveLength(6);

    const [started] = byType("CallStarted");
    expect(isSystemEvent("Microsoft.Communication.CallStarted", started!)).toBe(true);
    expect(started!.subject).toBe(`call/${callId}/startedBy/${caller.id}`);
    expect(started!.data).toMatchObject({ serverCallId: callId, correlationId: callId, startedBy: { communicationIdentifier: user(caller.id), role: "Organizer" }, group: { id: callId }, isRoomsCall: false });

    const added = byType("CallParticipantAdded");
    expect(added.every((e) => isSystemEvent("Microsoft.Communication.CallParticipantAdded", e))).toBe(true);
    expect(added.map((e) => e.data.user.communicationIdentifier.rawId).sort()).toEqual([caller.id, callee.id].sort());
    expect(added.find((e) => e.data.user.communicationIdentifier.rawId === callee.id)).toMatchObject({
      subject: `call/${callId}/participant/${callee.id}`,
      data: { serverCallId: callId, user: { role: "Attendee" }, participantId: expect.any(String), userAgent: expect.any(String) },
    });
    const removed = byType("CallParticipantRemoved");
    expect(removed.every((e) => isSystemEvent("Microsoft.Communication.CallParticipantRemoved", e))).toBe(true);
    expect(removed.map((e) => e.data.user.communicationIdentifier.rawId).sort()).toEqual([caller.id, callee.id].sort());

    const [ended] = byType("CallEnded");
    expect(isSystemEvent("Microsoft.Communication.CallEnded", ended!)).toBe(true);
    expect(ended!.data).toMatchObject({
      serverCallId: callId,
      isTwoParty: true,
      endedBy: { communicationIdentifier: user(caller.id), kind: "Participant" },
      reason: { code: 0, subCode: 0 },
    });
    expect(typeof ended!.data.callDurationInSeconds).toBe("number");
  });
});
