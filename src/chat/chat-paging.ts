import { AcsError } from "../errors/acs-errors.js";
import { firstQuery } from "../http/query.js";
import type { HandlerContext } from "../http/route.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./chat-limits.js";

type Query = HandlerContext<unknown>["query"];

/** `maxPageSize`: a positive integer, capped at MAX_PAGE_SIZE; DEFAULT_PAGE_SIZE when absent. */
export function pageSizeOf(query: Query): number {
  const raw = firstQuery(query, "maxPageSize");
  if (raw === undefined || raw === "") return DEFAULT_PAGE_SIZE;
  if (!/^[0-9]{1,9}$/.test(raw) || Number(raw) < 1) throw new AcsError("InvalidPageSize");
  return Math.min(Number(raw), MAX_PAGE_SIZE);
}

export function skipOf(query: Query): number {
  const raw = firstQuery(query, "skip");
  if (raw === undefined || raw === "") return 0;
  if (!/^[0-9]{1,9}$/.test(raw)) throw new AcsError("InvalidSkip");
  return Number(raw);
}

/** `startTime` (date-time) as epoch ms. */
export function startTimeOf(query: Query): number | undefined {
  const raw = firstQuery(query, "startTime");
  if (raw === undefined || raw === "") return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw new AcsError("InvalidStartTime");
  return ms;
}

/** Opaque continuation of the thread list: the last (created_at, id) returned. */
export function encodeThreadCursor(createdAt: number, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString("base64url");
}

export function decodeThreadCursor(raw: string | undefined): { createdAt: number; id: string } | undefined {
  if (raw === undefined || raw === "") return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === "string") {
      return { createdAt: value[0] as number, id: value[1] };
    }
  } catch {
    /* falls through to the error */
  }
  throw new AcsError("InvalidContinuationToken");
}

/** Continuation of the message list: the id of the last (oldest) message returned. */
export function decodeMessageCursor(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (!/^[0-9]{1,16}$/.test(raw)) throw new AcsError("InvalidContinuationToken");
  return Number(raw);
}
