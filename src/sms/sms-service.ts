import type { Principal } from "../auth/principal.js";
import { describePrincipal } from "../auth/principal.js";
import { AcsError } from "../errors/acs-errors.js";
import type { OutboxRepository } from "../outbox/outbox-repository.js";
import { allowsOutbound } from "../phone-numbers/inventory.js";
import type { PhoneNumberService } from "../phone-numbers/phone-number-service.js";
import type { Resource } from "../resources/resource.js";
import type { Store } from "../store/store.js";
import { SmsRepository } from "./sms-repository.js";
import type { Clock } from "../util/clock.js";
import type { EventRecorder } from "../events/event-recorder.js";
import { smsDeliveryReportEvent } from "../events/sms-events.js";
import { newId } from "../util/crypto.js";
import { checkE164, isE164 } from "../util/phone-number.js";
import { syncSmsWebhookTargets } from "../events/sms-webhook-repository.js";
import type { DeliveryReportData } from "./delivery-report.js";
import { countSegments } from "./sms-segments.js";
import type { SmsMessagesTable } from "./sms-tables.js";

/** The per-recipient error messages live ACS answers (recorded by the Azure SDK's live tests). */
export const RECIPIENT_FORMAT_MESSAGE = "Invalid To phone number format.";
export const RECIPIENT_COUNTRY_MESSAGE = "Unknown country code.";

/** The errorMessage of a recipient that is not a valid E.164 number, or undefined when it is one. */
export function recipientError(to: string): string | undefined {
  const check = checkE164(to);
  if (check.ok) return undefined;
  return check.reason === "format" ? RECIPIENT_FORMAT_MESSAGE : RECIPIENT_COUNTRY_MESSAGE;
}

export interface SmsRecipientRequest {
  to: string;
  repeatabilityRequestId?: string | undefined;
  repeatabilityFirstSent?: string | undefined;
}

export interface SmsSendRequest {
  from: string;
  smsRecipients: SmsRecipientRequest[];
  message: string;
  smsSendOptions?: { enableDeliveryReport?: boolean | undefined; tag?: string | undefined } | undefined;
}

/** One item of the 202 response (SmsSendResponseItem). */
export interface SmsSendResult {
  to: string;
  messageId?: string;
  httpStatusCode: number;
  repeatabilityResult?: "accepted" | "rejected";
  successful: boolean;
  errorMessage?: string;
}

export interface OptOutResult {
  to: string;
  httpStatusCode: number;
  isOptedOut?: boolean;
  errorMessage?: string;
}

export interface SmsServiceOptions {
  alphanumericSenders: readonly string[];
  /** Webhook URLs of a resource (config and stored). */
  webhooksFor(resource: Resource): Promise<string[]>;
}

function messageId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:T.Z]/g, "").slice(0, 14);
  return `Outgoing_${stamp}${newId()}_noam`;
}

/**
 * SMS: checks the sender (a number of this resource that may send SMS, or a configured alphanumeric id), then
 * accepts each recipient separately (E.164, opt-outs, repeatability). Accepted messages are stored in the outbox in
 * the same transaction; delivery is simulated as immediate, and its report (SMSDeliveryReportReceived) is written to
 * the event outbox in that transaction too, for event subscriptions and the SMS webhooks alike (docs/events.md).
 */
export class SmsService {
  /** Event Grid events (src/events): delivery reports recorded in the send's transaction once attached. */
  private events: EventRecorder | undefined;

  constructor(
    private readonly store: Store,
    private readonly numbers: PhoneNumberService,
    private readonly outbox: OutboxRepository,
    private readonly clock: Clock,
    private readonly options: SmsServiceOptions,
  ) {
    this.repository = new SmsRepository(store);
  }

  private readonly repository: SmsRepository;

  attachEvents(recorder: EventRecorder): void {
    this.events = recorder;
  }

  /** Throws unless `from` may send SMS on this resource. */
  async checkSender(resource: Resource, from: string, purpose: "send" | "optOut"): Promise<void> {
    if (this.options.alphanumericSenders.includes(from)) return;
    const check = checkE164(from);
    if (!check.ok && check.reason === "format") {
      throw new AcsError("InvalidSender", `'${from.slice(0, 30)}' is neither an E.164 number nor a configured alphanumeric sender id.`);
    }
    // ACS answers 401 both for a number of no resource and for one that is not a valid number (SDK live tests).
    if (!check.ok) throw new AcsError("Unauthorized", `${from} is not a valid phone number (${check.detail}), so no resource owns it.`);
    const owned = await this.numbers.findOwned(resource.id, from);
    if (owned === undefined) throw new AcsError("Unauthorized", `${from} is not a phone number of this resource.`);
    if (purpose === "send" && !allowsOutbound(owned.sms)) {
      throw new AcsError("SenderNotSmsCapable", `${from} has SMS capability '${owned.sms}'; sending needs outbound.`);
    }
  }

  async send(resource: Resource, principal: Principal, request: SmsSendRequest): Promise<SmsSendResult[]> {
    await this.checkSender(resource, request.from, "send");
    const now = this.clock.now();
    const segments = countSegments(request.message);
    const tag = request.smsSendOptions?.tag;
    const wantsReport = request.smsSendOptions?.enableDeliveryReport === true;
    const sender = describePrincipal(principal);

    const candidates = request.smsRecipients.map((r) => r.to).filter(isE164);
    const optedOut = new Set(await this.repository.optedOut(resource.id, request.from, candidates));

    // The SMS webhooks (configured and stored) are outbox targets: brought up to date in the send's transaction.
    const webhookUrls = wantsReport && this.events !== undefined ? await this.options.webhooksFor(resource) : undefined;
    const results = await this.store.write(async (trx) => {
      if (webhookUrls !== undefined) await syncSmsWebhookTargets(trx, resource.id, webhookUrls, now);
      const out: SmsSendResult[] = [];
      for (const r of request.smsRecipients) {
        const repeatable = r.repeatabilityRequestId !== undefined;
        const fail = (httpStatusCode: number, errorMessage: string, extra: Partial<SmsSendResult> = {}): SmsSendResult => ({
          to: r.to,
          httpStatusCode,
          ...(repeatable ? { repeatabilityResult: "rejected" as const } : {}),
          successful: false,
          errorMessage,
          ...extra,
        });
        const invalid = recipientError(r.to);
        if (invalid !== undefined) {
          // ACS's recorded item: {to, httpStatusCode: 400, errorMessage, successful: false}: no messageId and no
          // repeatabilityResult, although the SDK sent repeatability fields for it.
          out.push({ to: r.to, httpStatusCode: 400, errorMessage: invalid, successful: false });
          continue;
        }
        if (r.repeatabilityFirstSent !== undefined && Number.isNaN(Date.parse(r.repeatabilityFirstSent))) {
          out.push(fail(400, "Invalid repeatabilityFirstSent: it must be an RFC 1123 date."));
          continue;
        }
        if (optedOut.has(r.to)) {
          out.push(fail(403, `The recipient has opted out of messages from ${request.from}.`));
          continue;
        }
        const row: SmsMessagesTable = {
          id: messageId(now),
          resource_id: resource.id,
          repeatability_request_id: r.repeatabilityRequestId ?? null,
          from_number: request.from,
          to_number: r.to,
          delivery_status: "Delivered",
          segments: segments.segments,
          tag: tag ?? null,
          created_at: now,
        };
        const inserted = await this.repository.insertMessage(trx, row);
        if (!inserted.inserted) {
          const originalId = inserted.originalId;
          out.push(
            fail(409, `Repeated repeatabilityRequestId: this message was already accepted as ${originalId ?? "an earlier message"} and is not sent again.`, {
              ...(originalId !== undefined ? { messageId: originalId } : {}),
            }),
          );
          continue;
        }
        await this.outbox.insert(trx, {
          id: row.id,
          resourceId: resource.id,
          kind: "sms",
          principal: sender,
          from: request.from,
          to: [r.to],
          text: request.message,
          details: {
            segments: segments.segments,
            encoding: segments.encoding,
            deliveryReportRequested: wantsReport,
            ...(tag !== undefined ? { tag } : {}),
            ...(r.repeatabilityRequestId !== undefined ? { repeatabilityRequestId: r.repeatabilityRequestId } : {}),
            deliveryStatus: "Delivered",
          },
          createdAt: now,
        });
        if (wantsReport) await this.events?.record(trx, resource, [smsDeliveryReportEvent({ ...this.reportData(row) })]);
        out.push({ to: r.to, messageId: row.id, httpStatusCode: 202, ...(repeatable ? { repeatabilityResult: "accepted" as const } : {}), successful: true });
      }
      return out;
    });

    return results;
  }

  private reportData(m: SmsMessagesTable): DeliveryReportData {
    const at = new Date(Number(m.created_at)).toISOString();
    return {
      messageId: m.id,
      from: m.from_number,
      to: m.to_number,
      deliveryStatus: m.delivery_status === "Failed" ? "Failed" : "Delivered",
      deliveryStatusDetails: "No error.",
      receivedTimestamp: at,
      deliveryAttempts: [{ timestamp: at, segmentsSucceeded: Number(m.segments), segmentsFailed: 0 }],
      ...(m.tag !== null ? { tag: m.tag } : {}),
    };
  }

  /** The delivery report of one message (GET /deliveryReports/{id}). */
  async deliveryReport(resource: Resource, id: string): Promise<DeliveryReportData> {
    const row = await this.repository.findMessage(resource.id, id);
    if (row === undefined) throw new AcsError("DeliveryReportNotFound");
    return this.reportData(row);
  }

  async optOut(resource: Resource, action: "add" | "remove" | "check", from: string, recipients: Array<{ to: string }>): Promise<OptOutResult[]> {
    await this.checkSender(resource, from, "optOut");
    const now = this.clock.now();
    return this.store.write(async (trx) => {
      const out: OptOutResult[] = [];
      for (const { to } of recipients) {
        const invalid = recipientError(to);
        if (invalid !== undefined) {
          out.push({ to, httpStatusCode: 400, errorMessage: invalid });
          continue;
        }
        if (action === "add") {
          await this.repository.addOptOut(trx, resource.id, from, to, now);
          out.push({ to, httpStatusCode: 200, isOptedOut: true });
        } else if (action === "remove") {
          await this.repository.removeOptOut(trx, resource.id, from, to);
          out.push({ to, httpStatusCode: 200, isOptedOut: false });
        } else {
          out.push({ to, httpStatusCode: 200, isOptedOut: await this.repository.isOptedOut(trx, resource.id, from, to) });
        }
      }
      return out;
    });
  }

  // --- delivery-report webhooks stored per resource (CLI) ---

  async addWebhook(resourceId: string, url: string): Promise<void> {
    await this.repository.addWebhook(resourceId, url, this.clock.now());
  }

  async removeWebhook(resourceId: string, url: string): Promise<boolean> {
    return this.repository.removeWebhook(resourceId, url);
  }

  async storedWebhooks(resourceId: string): Promise<string[]> {
    return this.repository.listWebhooks(resourceId);
  }
}
