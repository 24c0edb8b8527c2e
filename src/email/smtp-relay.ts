import type { Transporter } from "nodemailer";

export interface RelayMessage {
  from: string;
  to: Array<{ address: string; displayName?: string | undefined }>;
  cc: Array<{ address: string; displayName?: string | undefined }>;
  bcc: Array<{ address: string; displayName?: string | undefined }>;
  replyTo: Array<{ address: string; displayName?: string | undefined }>;
  subject: string;
  text?: string | undefined;
  html?: string | undefined;
  headers: Record<string, string>;
  attachments: Array<{ filename: string; content: Buffer; contentType: string; cid?: string | undefined }>;
}

export interface RelayResult {
  ok: boolean;
  /** SMTP reply or error text (no credentials: the URL is never included). */
  response: string;
  messageId?: string;
}

function mailbox(a: { address: string; displayName?: string | undefined }) {
  return a.displayName !== undefined && a.displayName !== "" ? { name: a.displayName, address: a.address } : a.address;
}

/**
 * Relays accepted e-mail to the operator's SMTP server through nodemailer, which is loaded on the first message
 * (a server or CLI command that never relays does not pay for it).
 */
export class SmtpRelay {
  private readonly url: URL;
  private transport: Promise<Transporter> | undefined;

  constructor(
    smtpUrl: string,
    private readonly timeoutMs: number,
  ) {
    this.url = new URL(smtpUrl);
  }

  private transporter(): Promise<Transporter> {
    this.transport ??= import("nodemailer").then(({ default: nodemailer }) => this.createTransport(nodemailer));
    return this.transport;
  }

  private createTransport(nodemailer: typeof import("nodemailer").default): Transporter {
    const url = this.url;
    const timeoutMs = this.timeoutMs;
    return nodemailer.createTransport({
      host: url.hostname,
      port: url.port === "" ? (url.protocol === "smtps:" ? 465 : 587) : Number(url.port),
      secure: url.protocol === "smtps:",
      ...(url.username !== "" ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
      // A plain smtp:// URL on loopback (Mailpit, MailHog, a test server) often has no STARTTLS.
      ignoreTLS: url.searchParams.get("ignoreTLS") === "true",
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  async send(message: RelayMessage): Promise<RelayResult> {
    try {
      const transport = await this.transporter();
      const info = await transport.sendMail({
        from: message.from,
        to: message.to.map(mailbox),
        cc: message.cc.map(mailbox),
        bcc: message.bcc.map(mailbox),
        ...(message.replyTo.length > 0 ? { replyTo: message.replyTo.map(mailbox) } : {}),
        subject: message.subject,
        ...(message.text !== undefined ? { text: message.text } : {}),
        ...(message.html !== undefined ? { html: message.html } : {}),
        headers: message.headers,
        attachments: message.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType, ...(a.cid !== undefined ? { cid: a.cid } : {}) })),
      });
      return { ok: true, response: String(info.response ?? "accepted"), messageId: info.messageId };
    } catch (err) {
      const e = err as { response?: string; message?: string };
      return { ok: false, response: (e.response ?? e.message ?? "SMTP delivery failed").slice(0, 500) };
    }
  }

  close(): void {
    void this.transport?.then((t) => t.close(), () => undefined);
  }
}
