import pino, { type Logger } from "pino";
import { isForbiddenField } from "../activity/activity-event.js";
import { REDACTED } from "./logger.js";

/** What the one log line of a finished request says. Never headers, bodies, keys, tokens or signatures. */
export interface RequestLine {
  reqId: string;
  op: string;
  method: string;
  resource?: string | undefined;
  auth?: string | undefined;
  principal?: string | undefined;
  claimedIdentity?: string | undefined;
  subjects?: readonly string[] | undefined;
  fields?: Readonly<Record<string, string | number | boolean | readonly string[]>> | undefined;
  status: number;
  code?: string | undefined;
  warning?: string | undefined;
  ms: number;
}

function censored(fields: NonNullable<RequestLine["fields"]>): RequestLine["fields"] {
  let out: Record<string, unknown> | undefined;
  for (const name of Object.keys(fields)) {
    if (!isForbiddenField(name)) continue;
    out ??= { ...fields };
    out[name] = REDACTED;
  }
  return (out as RequestLine["fields"]) ?? fields;
}

/**
 * Writes request lines straight to the logger's destination, in exactly the shape pino gives them
 * (`{"level":30,"time":…,<bindings>,…,"msg":"request"}`). The request line is the one line every request writes, and
 * pino's generic path (per-key serialisation, then the wildcard redaction of the logger's second line of defence)
 * cost ~15–23 µs of it, against ~2 µs for one JSON.stringify of this fixed shape (bench/RESULTS.md, issue 15). Its
 * fields are a closed set; the only free-form part, the route's annotations, has the fields the activity record never
 * keeps (named like a secret or content: activity-event.ts) censored here.
 */
export function requestLineWriter(log: Logger): (line: RequestLine) => void {
  const stream = (log as unknown as Record<symbol, { write(s: string): unknown }>)[pino.symbols.streamSym];
  const bindings = (log as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? "";
  const level = log.levels.values.info;
  if (stream === undefined) return (line) => log.info(line, "request");
  return (line) => {
    if (!log.isLevelEnabled("info")) return;
    const fields = line.fields === undefined ? undefined : censored(line.fields);
    const json = JSON.stringify(fields === line.fields ? line : { ...line, fields });
    stream.write(`{"level":${level},"time":${Date.now()}${bindings},${json.slice(1, -1)},"msg":"request"}\n`);
  };
}
