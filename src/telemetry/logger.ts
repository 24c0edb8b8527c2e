import pino, { type Logger } from "pino";
import type { Config } from "../config/config.js";

/** What a redacted field reads in a log line. */
export const REDACTED = "[redacted]";

/**
 * The structured logger. Request lines carry ids, operation, principal, status and latency only; the redaction
 * list is a second line of defence for fields that must never be printed even if a future call site passes them.
 */
export function createLogger(config: Config, destination?: pino.DestinationStream): Logger {
  const stream = destination ?? (config.log.file !== undefined ? pino.destination({ dest: config.log.file, sync: false, mkdir: true }) : pino.destination(1));
  return pino(
    {
      level: config.log.level,
      base: { svc: "switchboard" },
      redact: {
        paths: ["headers", "authorization", "token", "accessKey", "key", "signature", "stringToSign", "secret", "password", "*.token", "*.secret"],
        censor: REDACTED,
      },
    },
    stream,
  );
}
