import { AcsError, errorCatalogue } from "../errors/acs-errors.js";
import type { Reply } from "../http/route.js";

/**
 * The 404 of `GET /deliveryReports/{id}`: the SMS 2026-01-23 spec declares an RFC 7807 problem-details body
 * (`ErrorResponse {type*, title*, status*, traceId?}`), unlike every other ACS error. Switchboard sends those fields
 * and, beside them, the usual `error: {code, message}` envelope, so a client reading either shape finds its fields.
 * Any other error is rethrown for the error handler.
 */
export function deliveryReportProblem(error: unknown, traceId: string): Reply {
  if (!(error instanceof AcsError) || error.code !== "DeliveryReportNotFound") throw error;
  const [status, title] = errorCatalogue.DeliveryReportNotFound;
  return {
    status,
    headers: { "x-ms-error-code": error.code },
    body: {
      type: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
      title,
      status,
      traceId,
      error: { code: error.code, message: error.message },
    },
  };
}
