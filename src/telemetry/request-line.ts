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
  const stream = (log as unknown as Record<symbol, Destination>)[pino.symbols.streamSym];
  const bindings = (log as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? "";
  const level = log.levels.values.info;
  if (stream === undefined) return (line) => log.info(line, "request");
  const write = stream.sync === false ? new TurnBuffer(stream).push : (text: string) => void stream.write(text);
  return (line) => {
    if (!log.isLevelEnabled("info")) return;
    const fields = line.fields === undefined ? undefined : censored(line.fields);
    const json = JSON.stringify(fields === line.fields ? line : { ...line, fields });
    write(`{"level":${level},"time":${Date.now()}${bindings},${json.slice(1, -1)},"msg":"request"}\n`);
  };
}

/** A pino destination: a SonicBoom (`sync` false: writes are buffered and written behind the caller's back). */
interface Destination {
  write(text: string): unknown;
  sync?: boolean;
  flushSync?(): void;
}

const pending = new Set<TurnBuffer>();
let exitHookInstalled = false;

/**
 * The request lines of one turn of the event loop, handed to an asynchronous destination as one string. Line by
 * line, a SonicBoom appends each to the text still waiting behind its write in flight and measures that text again
 * (`Buffer.byteLength`, which flattens it), so under load every line copied all the lines before it: ~6–10 KB of
 * garbage per request (a sampling heap profile, bench/RESULTS.md). Lines wait at most until the next turn; other
 * log lines are not held back, so a request line may follow a line logged a moment after it.
 */
class TurnBuffer {
  private lines: string[] = [];

  constructor(private readonly stream: Destination) {
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      // At exit there is no next turn: hand over what is left, and let the destination write it synchronously.
      process.once("exit", () => {
        for (const buffer of [...pending]) buffer.flush(true);
      });
    }
  }

  readonly push = (line: string): void => {
    if (this.lines.push(line) > 1) return;
    pending.add(this);
    setImmediate(this.flush);
  };

  readonly flush = (sync = false): void => {
    pending.delete(this);
    if (this.lines.length === 0) return;
    const text = this.lines.join("");
    this.lines = [];
    try {
      this.stream.write(text);
      if (sync) this.stream.flushSync?.();
    } catch {
      // Only a destroyed SonicBoom throws (the logger closed at shutdown): these lines have nowhere left to go.
    }
  };
}

/** Hands every request line still waiting for its turn to its destination (Switchboard.close, before the logger's flush). */
export function flushRequestLines(): void {
  for (const buffer of [...pending]) buffer.flush();
}
