import { AcsError } from "../errors/acs-errors.js";
import {
  MAX_DISPLAY_NAME_LENGTH,
  MAX_MESSAGE_CONTENT_BYTES,
  MAX_TOPIC_LENGTH,
} from "./chat-limits.js";
import type { Metadata } from "./chat-views.js";

/** Request checks of the chat service: each failure is a 400 with its own code (docs/chat.md, Limits). */
const THREAD_ID = /^19:[A-Za-z0-9_-]{1,200}@thread\.v2$/;
const MESSAGE_ID = /^[0-9]{1,16}$/;

export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

export function metadataText(metadata: Metadata | undefined, limit: number, target: string): string | null {
  if (metadata === undefined) return null;
  let size = 0;
  for (const [k, v] of Object.entries(metadata)) size += utf8Bytes(k) + utf8Bytes(v);
  if (size > limit) throw new AcsError("MetadataTooLarge", `${target} is larger than ${limit} bytes.`, { target });
  return Object.keys(metadata).length === 0 ? null : JSON.stringify(metadata);
}

export function parseMetadata(text: string | null): Metadata {
  return text === null ? {} : (JSON.parse(text) as Metadata);
}

/** JSON merge-patch of stored metadata (a null value removes the key), checked against `limit` as stored text. */
export function mergeMetadata(stored: string | null, patch: Record<string, string | null>, limit: number, target: string): string | null {
  const merged = parseMetadata(stored);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete merged[k];
    else merged[k] = v;
  }
  return metadataText(merged, limit, target);
}

export function checkDisplayName(name: string | undefined, target: string): string | null {
  if (name === undefined) return null;
  if (name.length > MAX_DISPLAY_NAME_LENGTH) throw new AcsError("DisplayNameTooLong", undefined, { target });
  return name;
}

export function checkTopic(topic: string): string {
  if (topic.length > MAX_TOPIC_LENGTH) throw new AcsError("TopicTooLong", `The topic is longer than ${MAX_TOPIC_LENGTH} characters.`);
  return topic;
}

export function checkContent(content: string): string {
  if (utf8Bytes(content) > MAX_MESSAGE_CONTENT_BYTES) throw new AcsError("MessageTooLarge");
  return content;
}

export function checkThreadId(threadId: string): string {
  if (!THREAD_ID.test(threadId)) throw new AcsError("InvalidThreadId");
  return threadId;
}

export function checkMessageId(messageId: string): number {
  if (!MESSAGE_ID.test(messageId)) throw new AcsError("InvalidMessageId");
  return Number(messageId);
}

