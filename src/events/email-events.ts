import type { AcsEvent } from "./event-envelope.js";

export const EMAIL_DELIVERY_REPORT_RECEIVED = "Microsoft.Communication.EmailDeliveryReportReceived";

/**
 * EmailDeliveryReportReceived, one per recipient (to, cc and bcc), when a message's delivery is settled: accepted by
 * the SMTP relay (or by the local outbox when none is configured) is `Delivered`, refused is `Failed`. Subject as ACS
 * publishes it: `sender/{senderAddress}/message/{messageId}`.
 */
export function emailDeliveryReportEvents(m: {
  messageId: string;
  sender: string;
  recipients: string[];
  ok: boolean;
  statusMessage: string;
  internetMessageId?: string | undefined;
  mailServer: string;
  at: number;
}): AcsEvent[] {
  return m.recipients.map((recipient) => ({
    eventType: EMAIL_DELIVERY_REPORT_RECEIVED,
    subject: `sender/${m.sender}/message/${m.messageId}`,
    data: {
      sender: m.sender,
      recipient,
      messageId: m.messageId,
      internetMessageId: m.internetMessageId ?? `<${m.messageId}@switchboard.local>`,
      status: m.ok ? "Delivered" : "Failed",
      deliveryStatusDetails: { statusMessage: m.statusMessage, recipientMailServerHostName: m.mailServer },
      deliveryAttemptTimestamp: new Date(m.at).toISOString(),
    },
  }));
}
