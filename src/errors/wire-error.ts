export interface ErrorDetail {
  code: string;
  message: string;
  target?: string;
}

/** The body every catalogue renders: `{"error":{"code","message","target"?,"details"?}}` (ACS and ARM share it). */
export interface ErrorBody {
  error: { code: string; message: string; target?: string; details?: ErrorDetail[] };
}

/**
 * A client-visible failure of any wire dialect (acs-errors.ts, arm-errors.ts). Throw it anywhere in the pipeline: the
 * one error handler (http/error-handler.ts) renders it, sets `x-ms-error-code` and puts its code on the request's
 * facts, so the request log line (`code`) and the metrics carry it whatever the dialect.
 */
export abstract class WireError extends Error {
  abstract readonly code: string;
  readonly status: number;
  readonly target: string | undefined;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Record<string, string> | undefined;

  protected constructor(
    status: number,
    message: string,
    options: { target?: string | undefined; details?: ErrorDetail[] | undefined; headers?: Record<string, string> | undefined } = {},
  ) {
    super(message);
    this.status = status;
    this.target = options.target;
    this.details = options.details;
    this.headers = options.headers;
  }

  toBody(): ErrorBody {
    const error: ErrorBody["error"] = { code: this.code, message: this.message };
    if (this.target !== undefined) error.target = this.target;
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}
