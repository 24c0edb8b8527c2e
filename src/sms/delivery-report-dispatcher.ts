import type { Logger } from "pino";
import type { Clock, ClockTimer } from "../util/clock.js";
import { newId } from "../util/crypto.js";

export const SMS_DELIVERY_REPORT_EVENT = "Microsoft.Communication.SMSDeliveryReportReceived";

export interface DeliveryReportData {
  messageId: string;
  from: string;
  to: string;
  deliveryStatus: "Delivered" | "Failed";
  deliveryStatusDetails: string;
  receivedTimestamp: string;
  deliveryAttempts: Array<{ timestamp: string; segmentsSucceeded: number; segmentsFailed: number }>;
  tag?: string;
}

/** One Event Grid event (Event Grid schema), as ACS publishes delivery reports. */
export function deliveryReportEvent(resource: { id: string; name: string }, data: DeliveryReportData, eventTime: string) {
  return {
    id: newId(),
    topic: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/switchboard/providers/Microsoft.Communication/CommunicationServices/${resource.name}`,
    subject: `/phonenumber/${data.to.replace(/^\+/, "")}`,
    data,
    eventType: SMS_DELIVERY_REPORT_EVENT,
    dataVersion: "1.0",
    metadataVersion: "1",
    eventTime,
  };
}

export interface DispatcherOptions {
  maxAttempts: number;
  backoffMs: number;
  timeoutMs?: number;
  log: Logger;
  /** Backoff waits on this clock. */
  clock: Clock;
}

/**
 * Delivers webhook events in the background: the request that produced an event never waits for it. Each POST is
 * retried with exponential backoff up to maxAttempts; a 2xx ends it. In memory only: pending deliveries are lost
 * when the process stops (documented).
 */
export class WebhookDispatcher {
  private readonly timers = new Set<ClockTimer>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: DispatcherOptions) {}

  enqueue(url: string, events: unknown[]): void {
    if (this.closed) return;
    const body = JSON.stringify(events);
    this.schedule(url, body, 1, 0);
  }

  private schedule(url: string, body: string, attempt: number, delayMs: number): void {
    const start = (): void => {
      const run = this.attempt(url, body, attempt).finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    };
    // The first attempt goes out at once (after the request that produced it); retries wait on the clock.
    if (delayMs <= 0) {
      setImmediate(() => {
        if (!this.closed) start();
      });
      return;
    }
    const timer = this.options.clock.setTimeout(() => {
      this.timers.delete(timer);
      start();
    }, delayMs);
    this.timers.add(timer);
  }

  private async attempt(url: string, body: string, attempt: number): Promise<void> {
    let outcome: string;
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "aeg-event-type": "Notification" },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return;
      outcome = `HTTP ${res.status}`;
    } catch (err) {
      outcome = (err as Error).name === "TimeoutError" ? "timeout" : "connection failed";
    }
    const target = new URL(url);
    const where = `${target.protocol}//${target.host}${target.pathname}`;
    if (attempt >= this.options.maxAttempts || this.closed) {
      this.options.log.warn({ webhook: where, attempt, outcome }, "webhook delivery abandoned");
      return;
    }
    this.options.log.info({ webhook: where, attempt, outcome }, "webhook delivery failed; retrying");
    this.schedule(url, body, attempt + 1, this.options.backoffMs * 2 ** (attempt - 1));
  }

  /** Stops retrying; waits for requests already on the wire. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }
}
