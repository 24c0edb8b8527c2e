import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { AcsError } from "../errors/acs-errors.js";
import { WireError } from "../errors/wire-error.js";

const UNAVAILABLE_CODES = new Set([
  // the socket to the database (node:net)
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  // PostgreSQL SQLSTATEs: connection exceptions (class 08), server shutting down or starting (57P0x), out of
  // connections or resources (53xxx), statement timeout (57014)
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
  "57P01",
  "57P02",
  "57P03",
  "57014",
  "53000",
  "53100",
  "53200",
  "53300",
  // SQLite: another process holds the write lock beyond busy_timeout
  "SQLITE_BUSY",
  "SQLITE_BUSY_SNAPSHOT",
  "SQLITE_BUSY_RECOVERY",
  "SQLITE_LOCKED",
]);

/** Messages node-postgres and pg-pool throw without a code when the connection is gone or cannot be made. */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Query read timeout|connect ECONNREFUSED/;

/**
 * A storage outage (database unreachable, restarting or busy) is the server's temporary problem: 503 with Retry-After.
 * Looks through `cause` and AggregateError members (a connect attempt to several addresses fails with one of those).
 */
export function isStorageUnavailable(err: unknown, depth = 0): boolean {
  if (typeof err !== "object" || err === null || depth > 3) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
  const message = (err as { message?: unknown }).message;
  if (typeof message === "string" && UNAVAILABLE_MESSAGE.test(message)) return true;
  const nested = [(err as { cause?: unknown }).cause, ...((err as { errors?: unknown }).errors instanceof Array ? (err as { errors: unknown[] }).errors : [])];
  return nested.some((e) => isStorageUnavailable(e, depth + 1));
}

/**
 * A write that names a row deleted meanwhile: on another replica, a deleted resource is still known for up to the poll
 * interval (docs/management.md), and its writes then fail on the foreign key. The client gets a 404, not a 500.
 */
function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "23503" || code === "SQLITE_CONSTRAINT_FOREIGNKEY";
}

/**
 * A value the database refused as data (PostgreSQL SQLSTATE class 22 "data exception": NUL or an untranslatable
 * character in text, a number out of range, a string too long; 54000 an index row too large) is the client's: 400.
 * The edge checks (security/text-guard.ts) refuse such input first; this is the net behind them.
 */
function isStoreDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^(22[0-9A-Z]{3}|54000)$/.test(code) && (err as { severity?: unknown }).severity !== undefined;
}

/**
 * Maps anything thrown during a request to a catalogue error: an ACS or ARM error (errors/) as thrown, anything else to
 * its ACS code; unknown failures become an opaque 500.
 */
export function toAcsError(err: unknown): WireError {
  if (err instanceof WireError) return err;
  if (isStorageUnavailable(err)) return new AcsError("ServiceUnavailable", undefined, { headers: { "retry-after": "5" } });
  if (isForeignKeyViolation(err)) return new AcsError("ResourceNotFound", "What this request refers to no longer exists (its resource was deleted).");
  if (isStoreDataError(err)) return new AcsError("UnstorableValue");
  const fastifyError = err as Partial<FastifyError>;
  switch (fastifyError.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new AcsError("RequestEntityTooLarge");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new AcsError("UnsupportedMediaType");
    default:
      break;
  }
  if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new AcsError("InvalidRequestBody", "The request could not be read.");
  }
  return new AcsError("InternalError");
}

/**
 * The one error handler, for every dialect (ACS, ARM): renders the `{"error":{...}}` envelope and `x-ms-error-code`,
 * never internal details, and puts the code on the request's facts, from which the request log line (`code`) and the
 * metrics take it.
 */
export function createErrorHandler(log: Logger) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const acsError = toAcsError(err);
    if (acsError.status >= 500 && !(err instanceof WireError)) {
      // Internal details go to the log (message and stack only: no request content), never to the client.
      const e = err as Error;
      log.error({ reqId: request.id, err: { type: e?.name, message: e?.message, stack: e?.stack } }, "request failed");
    }
    request.facts.errorCode = acsError.code;
    if (acsError.headers !== undefined) reply.headers(acsError.headers);
    reply
      .code(acsError.status)
      .header("x-ms-error-code", acsError.code)
      .type("application/json; charset=utf-8")
      .send(JSON.stringify(acsError.toBody()));
  };
}
