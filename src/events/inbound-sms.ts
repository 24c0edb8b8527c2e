import type { OutboxRepository } from "../outbox/outbox-repository.js";
import type { PhoneNumberService } from "../phone-numbers/phone-number-service.js";
import { SmsRepository } from "../sms/sms-repository.js";
import { countSegments } from "../sms/sms-segments.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { newId } from "../util/crypto.js";
import type { EventRecorder, EventResource } from "./event-recorder.js";
import { EventsInputError } from "./events-error.js";
import { smsReceivedEvent } from "./sms-events.js";

const E164 = /^\+[1-9]\d{6,14}$/;
/** The keywords ACS (and US carriers) treat as opt-out and opt-in, matched on the whole trimmed message. */
export const OPT_OUT_KEYWORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "ARRET"];
export const OPT_IN_KEYWORDS = ["START", "UNSTOP", "YES", "OPTIN"];

export interface InboundResult {
  messageId: string;
  /** What the message did to the sender's opt-out state for the number, if it was a keyword. */
  optOut?: "added" | "removed";
}

function inboundId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:T.Z]/g, "").slice(0, 14);
  return `Incoming_${stamp}${newId()}_noam`;
}

/**
 * Simulated inbound SMS: a phone (`from`) texts a number of the resource (`to`, SMS inbound-capable). The message
 * lands in the outbox as inbound and raises SMSReceived, in one transaction; STOP-like keywords opt the phone out of
 * messages from that number (later sends to it fail with 403, as ACS does) and START-like ones opt it back in.
 */
export class InboundSms {
  private readonly sms: SmsRepository;

  constructor(
    private readonly store: Store,
    private readonly numbers: PhoneNumberService,
    private readonly outbox: OutboxRepository,
    private readonly recorder: EventRecorder,
    private readonly clock: Clock,
  ) {
    this.sms = new SmsRepository(store);
  }

  async receive(resource: EventResource, request: { from: string; to: string; message: string }): Promise<InboundResult> {
    if (!E164.test(request.from)) throw new EventsInputError("InvalidPhoneNumber", "--from must be an E.164 number (e.g. +14255550123).");
    if (!E164.test(request.to)) throw new EventsInputError("InvalidPhoneNumber", "--to must be an E.164 number of the resource.");
    if (request.message.length === 0 || request.message.length > 2048) throw new EventsInputError("InvalidMessage", "The message must have 1 to 2048 characters.");
    const owned = await this.numbers.findOwned(resource.id, request.to);
    if (owned === undefined) throw new EventsInputError("NumberNotOwned", `${request.to} is not a phone number of this resource.`);
    if (owned.sms !== "inbound" && owned.sms !== "inbound+outbound") throw new EventsInputError("NumberNotSmsInbound", `${request.to} has SMS capability '${owned.sms}'; receiving needs inbound.`);
    const now = this.clock.now();
    const messageId = inboundId(now);
    const keyword = request.message.trim().toUpperCase();
    const optOut = OPT_OUT_KEYWORDS.includes(keyword) ? "added" : OPT_IN_KEYWORDS.includes(keyword) ? "removed" : undefined;
    const segments = countSegments(request.message);
    await this.store.write(async (trx) => {
      await this.outbox.insert(trx, {
        id: messageId,
        resourceId: resource.id,
        kind: "sms",
        principal: `phone:${request.from}`,
        from: request.from,
        to: [request.to],
        text: request.message,
        details: { direction: "inbound", segments: segments.segments, encoding: segments.encoding, ...(optOut !== undefined ? { optOut } : {}) },
        createdAt: now,
      });
      // sms_opt_outs: from_number is the resource's number, to_number the phone that opted out.
      if (optOut === "added") {
        await this.sms.addOptOut(trx, resource.id, request.to, request.from, now);
      } else if (optOut === "removed") {
        await this.sms.removeOptOut(trx, resource.id, request.to, request.from);
      }
      await this.recorder.record(trx, resource, [
        smsReceivedEvent({ messageId, from: request.from, to: request.to, message: request.message, segmentCount: segments.segments, receivedAt: now }),
      ]);
    });
    return { messageId, ...(optOut !== undefined ? { optOut } : {}) };
  }
}
