import { randomUUID } from "node:crypto";
import type { Reply } from "../../http/route.js";

/** A refusal of the sign-in grants and endpoints, rendered in the Entra shape MSAL parses. */
export class SigninFailure extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(error);
  }
}

export const refuse = (error: string, description: string): never => {
  throw new SigninFailure(error, description);
};

/** `{"error","error_description","error_codes",…}`; invalid_client is 401, everything else 400. */
export function entraErrorReply(failure: SigninFailure, now: number, headers: Record<string, string> = {}): Reply {
  const code = Number(/AADSTS(\d+)/.exec(failure.description)?.[1] ?? 0);
  return {
    status: failure.error === "invalid_client" ? 401 : 400,
    headers: { "cache-control": "no-store", ...headers },
    body: {
      error: failure.error,
      error_description: failure.description,
      error_codes: code === 0 ? [] : [code],
      timestamp: new Date(now).toISOString().replace("T", " ").slice(0, 19) + "Z",
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    },
  };
}

/** Runs a grant or endpoint; a SigninFailure becomes the Entra error reply. */
export async function runSigninStep(now: () => number, fn: () => Promise<Reply>, headers?: Record<string, string>): Promise<Reply> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SigninFailure) return entraErrorReply(err, now(), headers);
    throw err;
  }
}
