import type { IncomingMessage } from "node:http";
import { AcsError } from "../errors/acs-errors.js";

/** Headers a request may carry once: a second copy could smuggle a second credential past the first one's check. */
const SINGLE_HEADERS = new Set(["authorization", "x-ms-date", "date", "x-ms-content-sha256", "host"]);

/** Refuses a request that repeats a credential-bearing header (node keeps the first Authorization and drops the rest). */
export function refuseDuplicateHeaders(raw: IncomingMessage): void {
  const seen = new Set<string>();
  const list = raw.rawHeaders;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!.toLowerCase();
    if (!SINGLE_HEADERS.has(name)) continue;
    if (seen.has(name)) throw new AcsError("DuplicateHeader", `The ${name} header appears more than once.`, { target: name });
    seen.add(name);
  }
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const RFC1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

/**
 * Epoch milliseconds of an RFC 1123 date (`Sun, 06 Nov 1994 08:49:37 GMT`, what the SDKs send), or NaN for anything
 * else: Date.parse would also take ISO strings, other zones and impossible days.
 */
export function parseRfc1123(value: string): number {
  const m = RFC1123.exec(value);
  if (m === null) return Number.NaN;
  const [day, month, year, hh, mm, ss] = [Number(m[2]), MONTHS.indexOf(m[3]!), Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7])];
  if (hh > 23 || mm > 59 || ss > 59) return Number.NaN;
  const t = Date.UTC(year, month, day, hh, mm, ss);
  const d = new Date(t);
  if (d.getUTCDate() !== day || d.getUTCMonth() !== month || DAYS[d.getUTCDay()] !== m[1]) return Number.NaN;
  return t;
}
