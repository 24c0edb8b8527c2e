import { randomBytes, timingSafeEqual } from "node:crypto";
import { envelope, newEventId } from "./event-envelope.js";
import type { EventSchema } from "./event-envelope.js";

export const VALIDATION_EVENT_TYPE = "Microsoft.EventGrid.SubscriptionValidationEvent";
/** The origin Event Grid announces in the CloudEvents abuse-protection handshake. */
export const WEBHOOK_REQUEST_ORIGIN = "eventgrid.azure.net";

export type HandshakeResult = { ok: true } | { ok: false; detail: string };

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Proves that the endpoint wants the events, as Event Grid does before activating a subscription:
 * - eventgrid schema: POSTs a `Microsoft.EventGrid.SubscriptionValidationEvent` (header `aeg-event-type:
 *   SubscriptionValidation`) and expects `{"validationResponse": <validationCode>}` back;
 * - cloudevents: sends `OPTIONS` with `WebHook-Request-Origin: eventgrid.azure.net` and expects a 2xx with
 *   `WebHook-Allowed-Origin` naming that origin (or `*`).
 * Redirects are not followed (an allowed endpoint must not forward the request elsewhere).
 */
export async function webhookHandshake(
  schema: EventSchema,
  endpoint: string,
  resource: { name: string },
  options: { now: number; timeoutMs: number },
): Promise<HandshakeResult> {
  try {
    if (schema === "cloudevents") {
      const res = await fetch(endpoint, {
        method: "OPTIONS",
        headers: { "WebHook-Request-Origin": WEBHOOK_REQUEST_ORIGIN, "WebHook-Request-Rate": "120" },
        redirect: "manual",
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) return { ok: false, detail: `OPTIONS answered HTTP ${res.status}` };
      const allowed = (res.headers.get("webhook-allowed-origin") ?? "").split(",").map((s) => s.trim().toLowerCase());
      if (!allowed.includes(WEBHOOK_REQUEST_ORIGIN) && !allowed.includes("*")) return { ok: false, detail: "WebHook-Allowed-Origin does not allow eventgrid.azure.net" };
      return { ok: true };
    }
    const validationCode = randomBytes(16).toString("hex").toUpperCase();
    const event = envelope(
      "eventgrid",
      resource,
      { eventType: VALIDATION_EVENT_TYPE, subject: "", data: { validationCode }, dataVersion: "2" },
      newEventId(),
      options.now,
    );
    const res = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", "aeg-event-type": "SubscriptionValidation" },
      body: JSON.stringify([event]),
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await res.text().catch(() => "");
    if (!res.ok) return { ok: false, detail: `validation event answered HTTP ${res.status}` };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, detail: "validation response is not JSON" };
    }
    const answer = (body as { validationResponse?: unknown } | null)?.validationResponse;
    if (typeof answer !== "string" || !sameText(answer.toUpperCase(), validationCode)) return { ok: false, detail: "validationResponse does not match the validationCode" };
    return { ok: true };
  } catch (err) {
    return { ok: false, detail: (err as Error).name === "TimeoutError" ? "timed out" : "connection failed" };
  }
}
