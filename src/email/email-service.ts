import type { Logger } from "pino";
import type { Principal } from "../auth/principal.js";
import { describePrincipal } from "../auth/principal.js";
import { AcsError } from "../errors/acs-errors.js";
import type { OutboxRepository } from "../outbox/outbox-repository.js";
import type { Resource } from "../resources/resource.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { newId } from "../util/crypto.js";
import type { EmailDomains } from "./email-domains.js";
import { EmailRepository } from "./email-repository.js";
import type { EmailOperationsTable } from "./email-tables.js";
import { checkAddress, checkHeaders, decodeAttachments, type AttachmentInput, type EmailAddressInput } from "./email-validation.js";
import type { SmtpRelay } from "./smtp-relay.js";
import type { EventRecorder } from "../events/event-recorder.js";
import { emailDeliveryReportEvents } from "../events/email-events.js";

export interface EmailMessageInput {
  senderAddress: string;
  content: { subject: string; plainText?: string | undefined; html?: string | undefined };
  recipients: { to?: EmailAddressInput[] | undefined; cc?: EmailAddressInput[] | undefined; bcc?: EmailAddressInput[] | undefined };
  attachments?: AttachmentInput[] | undefined;
  replyTo?: EmailAddressInput[] | undefined;
  headers?: Record<string, string> | undefined;
  userEngagementTrackingDisabled?: boolean | undefined;
}

export interface EmailServiceOptions {
  maxMessageBytes: number;
  /** A Running operation older than this lost its relay (see markInterrupted). */
  staleAfterMs: number;
  maxRecipients: number;
  log: Logger;
}

/** Attachments up to this size are kept (base64) in the outbox so a test can compare them; larger ones by size only. */
const OUTBOX_ATTACHMENT_BYTES = 256 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * E-mail: validates the message as ACS does, stores it in the outbox and an operation in one transaction, then
 * (with an SMTP relay) delivers it in the background and records the outcome on the operation. Without a relay the
 * outbox is the destination and the operation succeeds at once.
 */
export class EmailService {
  private readonly pending = new Set<Promise<void>>();
  /** Event Grid EmailDeliveryReportReceived, recorded in the write that settles a delivery (src/events). */
  private events: EventRecorder | undefined;

  constructor(
    private readonly store: Store,
    private readonly domains: EmailDomains,
    private readonly outbox: OutboxRepository,
    private readonly relay: SmtpRelay | undefined,
    private readonly clock: Clock,
    private readonly options: EmailServiceOptions,
  ) {
    this.repository = new EmailRepository(store);
  }

  private readonly repository: EmailRepository;

  private async checkSender(resource: Resource, senderAddress: string): Promise<void> {
    checkAddress({ address: senderAddress }, "senderAddress");
    const at = senderAddress.lastIndexOf("@");
    const username = senderAddress.slice(0, at);
    const domain = await this.domains.find(resource.id, senderAddress.slice(at + 1));
    if (domain === undefined) {
      const valid = await this.domains.senders(resource.id);
      throw new AcsError("DomainNotLinked", `The domain of '${senderAddress}' is not a domain of this resource. Valid senders: ${valid.join(", ")}.`, {
        target: "senderAddress",
      });
    }
    if (!domain.senderUsernames.some((u) => u.toLowerCase() === username.toLowerCase())) {
      throw new AcsError("InvalidSenderUserName", `'${username}' is not a sender user name of ${domain.domain}.`, { target: "senderAddress" });
    }
  }

  attachEvents(recorder: EventRecorder): void {
    this.events = recorder;
  }

  private reports(id: string, message: EmailMessageInput, ok: boolean, statusMessage: string, at: number, internetMessageId?: string) {
    const r = message.recipients;
    const recipients = [...(r.to ?? []), ...(r.cc ?? []), ...(r.bcc ?? [])].map((a) => a.address);
    const mailServer = this.relay === undefined ? "switchboard-outbox" : "smtp-relay";
    return emailDeliveryReportEvents({ messageId: id, sender: message.senderAddress, recipients, ok, statusMessage, internetMessageId, mailServer, at });
  }

  /** Accepts a message; returns its operation (a repeated Operation-Id returns the first one, not sent again). */
  async send(resource: Resource, principal: Principal, message: EmailMessageInput, operationId?: string): Promise<EmailOperationsTable> {
    if (operationId !== undefined) {
      if (!UUID.test(operationId)) throw new AcsError("InvalidOperationId");
      const existing = await this.find(resource, operationId);
      if (existing !== undefined) return existing;
    }
    await this.checkSender(resource, message.senderAddress);
    const to = message.recipients.to ?? [];
    const cc = message.recipients.cc ?? [];
    const bcc = message.recipients.bcc ?? [];
    if (to.length === 0) throw new AcsError("InvalidRequestBody", "recipients.to needs at least one address.", { target: "recipients.to" });
    if (to.length + cc.length + bcc.length > this.options.maxRecipients) {
      throw new AcsError("TooManyRecipients", `At most ${this.options.maxRecipients} recipients (to, cc and bcc together).`, { target: "recipients" });
    }
    to.forEach((a, i) => checkAddress(a, `recipients.to[${i}]`));
    cc.forEach((a, i) => checkAddress(a, `recipients.cc[${i}]`));
    bcc.forEach((a, i) => checkAddress(a, `recipients.bcc[${i}]`));
    (message.replyTo ?? []).forEach((a, i) => checkAddress(a, `replyTo[${i}]`));
    const { subject, plainText, html } = message.content;
    if ((plainText === undefined || plainText === "") && (html === undefined || html === "")) {
      throw new AcsError("InvalidRequestBody", "content needs plainText or html.", { target: "content" });
    }
    checkHeaders(message.headers);
    const attachmentBytes = decodeAttachments(message.attachments);
    const size =
      Buffer.byteLength(subject) + Buffer.byteLength(plainText ?? "") + Buffer.byteLength(html ?? "") + attachmentBytes.reduce((n, b) => n + b.length, 0);
    if (size > this.options.maxMessageBytes) {
      throw new AcsError("EmailTooLarge", `The e-mail is ${size} bytes with its attachments; the limit is ${this.options.maxMessageBytes}.`);
    }

    const id = operationId?.toLowerCase() ?? newId();
    const now = this.clock.now();
    const status = this.relay === undefined ? "Succeeded" : "Running";
    const operation: EmailOperationsTable = { id, resource_id: resource.id, status, error_code: null, error_message: null, created_at: now, updated_at: now };
    const inserted = await this.store.write(async (trx) => {
      const created = await this.repository.insertOperation(trx, operation);
      if (!created) return false; // the same Operation-Id raced in: the first one wins
      await this.outbox.insert(trx, {
        id,
        resourceId: resource.id,
        kind: "email",
        principal: describePrincipal(principal),
        from: message.senderAddress,
        to: [...to, ...cc, ...bcc].map((a) => a.address),
        subject,
        ...(plainText !== undefined ? { text: plainText } : {}),
        ...(html !== undefined ? { html } : {}),
        details: {
          operationId: id,
          status,
          recipients: { to, cc, bcc },
          replyTo: message.replyTo ?? [],
          headers: message.headers ?? {},
          userEngagementTrackingDisabled: message.userEngagementTrackingDisabled ?? false,
          attachments: (message.attachments ?? []).map((a, i) => ({
            name: a.name,
            contentType: a.contentType,
            size: attachmentBytes[i]!.length,
            ...(a.contentId !== undefined ? { contentId: a.contentId } : {}),
            ...(attachmentBytes[i]!.length <= OUTBOX_ATTACHMENT_BYTES ? { contentInBase64: attachmentBytes[i]!.toString("base64") } : {}),
          })),
          sizeBytes: size,
          relayed: this.relay !== undefined,
        },
        createdAt: now,
      });
      if (status === "Succeeded") await this.events?.record(trx, resource, this.reports(id, message, true, "Kept in the local outbox (no SMTP relay configured).", now));
      return true;
    });
    if (!inserted) return (await this.find(resource, id))!;
    if (this.relay !== undefined) this.deliver(resource, id, message, attachmentBytes);
    return operation;
  }

  private deliver(resource: Resource, id: string, message: EmailMessageInput, attachmentBytes: Buffer[]): void {
    const relay = this.relay!;
    const run = (async () => {
      const result = await relay.send({
        from: message.senderAddress,
        to: message.recipients.to ?? [],
        cc: message.recipients.cc ?? [],
        bcc: message.recipients.bcc ?? [],
        replyTo: message.replyTo ?? [],
        subject: message.content.subject,
        text: message.content.plainText,
        html: message.content.html,
        headers: message.headers ?? {},
        attachments: (message.attachments ?? []).map((a, i) => ({ filename: a.name, content: attachmentBytes[i]!, contentType: a.contentType, cid: a.contentId })),
      });
      const now = this.clock.now();
      await this.repository.finishOperation(resource.id, id, {
        status: result.ok ? "Succeeded" : "Failed",
        errorCode: result.ok ? null : "EmailDropped",
        errorMessage: result.ok ? null : `The SMTP relay did not accept the message: ${result.response}`,
        updatedAt: now,
      }, { alsoInTransaction: (trx) => this.events?.record(trx, resource, this.reports(id, message, result.ok, result.response, now, result.messageId)) ?? Promise.resolve() });
      await this.outbox.updateDetails(resource.id, id, {
        status: result.ok ? "Succeeded" : "Failed",
        relay: { ok: result.ok, response: result.response, ...(result.messageId !== undefined ? { messageId: result.messageId } : {}) },
      });
      if (!result.ok) this.options.log.warn({ emailMessageId: id, resource: resource.id }, "SMTP relay refused an e-mail");
    })().catch((err: Error) => this.options.log.error({ emailMessageId: id, err: { message: err.message } }, "e-mail delivery failed"));
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  async find(resource: Resource, id: string): Promise<EmailOperationsTable | undefined> {
    return this.repository.findOperation(resource.id, id.toLowerCase());
  }

  async get(resource: Resource, id: string): Promise<EmailOperationsTable> {
    const found = await this.find(resource, id);
    if (found === undefined) throw new AcsError("EmailOperationNotFound");
    if (found.status === "Running" && this.clock.now() - Number(found.updated_at) > this.options.staleAfterMs) return this.markInterrupted(found);
    return found;
  }

  /**
   * A relay that outlived every SMTP timeout was interrupted (the process that ran it stopped): the operation fails
   * instead of running forever. Safe with several replicas: a live relay finishes well within the timeouts.
   */
  private async markInterrupted(op: EmailOperationsTable): Promise<EmailOperationsTable> {
    const now = this.clock.now();
    const failed = { ...op, status: "Failed", error_code: "EmailDropped", error_message: "The delivery was interrupted before the SMTP relay answered.", updated_at: now };
    await this.repository.finishOperation(
      op.resource_id,
      op.id,
      { status: failed.status, errorCode: failed.error_code, errorMessage: failed.error_message, updatedAt: now },
      { onlyIfRunning: true },
    );
    await this.outbox.updateDetails(op.resource_id, op.id, { status: "Failed" });
    return (await this.repository.findOperation(op.resource_id, op.id)) ?? failed;
  }

  /** Waits for deliveries in flight (shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
