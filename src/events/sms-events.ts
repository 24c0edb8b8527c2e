import type { AcsEvent } from "./event-envelope.js";

export const SMS_RECEIVED = "Microsoft.Communication.SMSReceived";
export const SMS_DELIVERY_REPORT_RECEIVED = "Microsoft.Communication.SMSDeliveryReportReceived";

const subjectOf = (number: string): string => `/phonenumber/${number.replace(/^\+/, "")}`;

/** SMSReceived: a phone sent `message` to the resource's number `to`. */
export function smsReceivedEvent(m: { messageId: string; from: string; to: string; message: string; segmentCount: number; receivedAt: number }): AcsEvent {
  return {
    eventType: SMS_RECEIVED,
    subject: subjectOf(m.to),
    data: { messageId: m.messageId, from: m.from, to: m.to, message: m.message, receivedTimestamp: new Date(m.receivedAt).toISOString(), segmentCount: m.segmentCount },
  };
}

/** SMSDeliveryReportReceived for an outbound message (data: sms/delivery-report.ts). */
export function smsDeliveryReportEvent(data: { to: string } & Record<string, unknown>): AcsEvent {
  return { eventType: SMS_DELIVERY_REPORT_RECEIVED, subject: subjectOf(data.to), data };
}
