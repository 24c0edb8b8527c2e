import { AcsError } from "../errors/acs-errors.js";

/** Checks of an EmailMessage beyond its JSON shape: addresses, headers, attachments and size (ACS limits). */

const ADDRESS =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
const HEADER_NAME = /^[\x21-\x39\x3B-\x7E]{1,100}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Headers the message itself defines; a custom header may not replace them. */
const RESERVED_HEADERS = new Set([
  "from", "to", "cc", "bcc", "subject", "date", "message-id", "reply-to", "sender", "return-path",
  "mime-version", "content-type", "content-transfer-encoding", "received", "dkim-signature",
]);

/** Attachment types ACS accepts (documents, images, audio, video, archives); executables and scripts are refused. */
export const ALLOWED_ATTACHMENT_TYPES = new Set([
  "application/pdf", "application/rtf", "application/json", "application/xml", "text/xml",
  "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet", "application/vnd.oasis.opendocument.presentation",
  "application/zip", "application/x-zip-compressed", "application/gzip", "application/x-7z-compressed", "application/x-tar",
  "text/plain", "text/csv", "text/html", "text/calendar", "text/markdown",
  "image/png", "image/jpeg", "image/jpg", "image/gif", "image/bmp", "image/webp", "image/tiff", "image/heic",
  "audio/mpeg", "audio/wav", "audio/ogg", "audio/mp4", "video/mp4", "video/mpeg", "video/quicktime", "video/webm",
  "message/rfc822",
]);

export interface EmailAddressInput {
  address: string;
  displayName?: string | undefined;
}

export interface AttachmentInput {
  name: string;
  contentType: string;
  contentInBase64: string;
  contentId?: string | undefined;
}

export function checkAddress(a: EmailAddressInput, target: string): void {
  if (a.address.length > 320 || !ADDRESS.test(a.address)) {
    throw new AcsError("InvalidEmailAddress", `'${a.address.slice(0, 100)}' is not a valid e-mail address.`, { target });
  }
  if (a.displayName !== undefined && /[\r\n]/.test(a.displayName)) {
    throw new AcsError("InvalidEmailAddress", "A display name may not contain line breaks.", { target });
  }
}

export function checkHeaders(headers: Record<string, string> | undefined): void {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!HEADER_NAME.test(name)) throw new AcsError("InvalidEmailHeader", `'${name.slice(0, 100)}' is not a valid header name.`, { target: `headers.${name.slice(0, 100)}` });
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new AcsError("InvalidEmailHeader", `The header '${name}' is set by the service and cannot be given.`, { target: `headers.${name}` });
    }
    if (/[\r\n]/.test(value) || value.length > 998) {
      throw new AcsError("InvalidEmailHeader", `The value of '${name}' must be one line of at most 998 characters.`, { target: `headers.${name}` });
    }
  }
}

/** Decodes and checks attachments; returns their bytes. */
export function decodeAttachments(attachments: AttachmentInput[] | undefined): Buffer[] {
  return (attachments ?? []).map((a, i) => {
    const target = `attachments[${i}]`;
    if (!ALLOWED_ATTACHMENT_TYPES.has(a.contentType.toLowerCase())) {
      throw new AcsError("UnsupportedAttachmentType", `Attachment type '${a.contentType.slice(0, 100)}' is not supported.`, { target });
    }
    const compact = a.contentInBase64.replace(/\s+/g, "");
    if (compact.length % 4 !== 0 || !BASE64.test(compact)) throw new AcsError("InvalidAttachmentContent", undefined, { target });
    return Buffer.from(compact, "base64");
  });
}
