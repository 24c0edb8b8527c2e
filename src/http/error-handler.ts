import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { AcsError } from "./errors.js";

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "08000",
  "08001",
  "08003",
  "08006",
  "SQLITE_BUSY",
]);

/** A storage outage (database unreachable or busy) is the server's temporary problem: 503 with Retry-After. */
export function isStorageUnavailable(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
  const message = (err as { message?: unknown }).message;
  return (
    typeof message === "string" &&
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/.test(
      message,
    )
  );
}

/** Maps anything thrown during a request to an AcsError; unknown failures become an opaque 500. */
export function toAcsError(err: unknown): AcsError {
  if (err instanceof AcsError) return err;
  if (isStorageUnavailable(err)) return new AcsError("ServiceUnavailable", undefined, { headers: { "retry-after": "5" } });
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

/** The one error handler: renders the ACS envelope, never internal details. */
export function createErrorHandler(log: Logger) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const acsError = toAcsError(err);
    if (acsError.status >= 500 && !(err instanceof AcsError)) {
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
