import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import type { OutboxRepository } from "../outbox/outbox-repository.js";
import type { PhoneNumberService } from "../phone-numbers/phone-number-service.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { ChatEvents } from "./chat-events.js";
import { DeliveryWorker, type WorkerTimer } from "./delivery-worker.js";
import { EventRecorder } from "./event-recorder.js";
import { isSmsWebhookTarget, notifyEventsQueued } from "./sms-webhook-repository.js";
import { InboundSms } from "./inbound-sms.js";
import { SubscriptionService } from "./subscription-service.js";

/** Event Grid events: subscriptions, the outbox recorder the services write through, the delivery worker. */
export interface Events {
  recorder: EventRecorder;
  chat: ChatEvents;
  subscriptions: SubscriptionService;
  inboundSms: InboundSms;
  /** Started by the server (not by CLI commands); stopped by close. */
  worker: DeliveryWorker;
  close(): Promise<void>;
}

export function openEvents(
  config: Config,
  store: Store,
  clock: Clock,
  log: Logger,
  messaging: { phoneNumbers: PhoneNumberService; outbox: OutboxRepository },
  timer?: WorkerTimer,
): Events {
  const recorder = new EventRecorder(clock);
  // The SMS webhooks keep their documented schedule: sms.webhookBackoffMs doubling, sms.webhookMaxAttempts attempts.
  const smsWebhookPolicy = {
    delaysMs: Array.from({ length: Math.max(1, config.sms.webhookMaxAttempts - 1) }, (_, i) => config.sms.webhookBackoffMs * 2 ** i),
    maxAttempts: config.sms.webhookMaxAttempts,
  };
  const worker = new DeliveryWorker(store, clock, config.events, log, timer, (id) => (isSmsWebhookTarget(id) ? smsWebhookPolicy : undefined));
  // Wake the worker on commit rather than at the next poll. PostgreSQL: a NOTIFY in the recording transaction reaches
  // every replica's realtime bus at commit (app.ts wakes the worker on it). SQLite: one process, writes serialized, so
  // a pass started now claims after the recording transaction committed.
  recorder.onRecorded(store.dialect === "postgres" ? notifyEventsQueued : async () => void setImmediate(() => worker.wake()));
  return {
    recorder,
    chat: new ChatEvents(recorder),
    subscriptions: new SubscriptionService(store, clock, { allowedHosts: config.events.allowedHosts, timeoutMs: config.events.timeoutMs }),
    inboundSms: new InboundSms(store, messaging.phoneNumbers, messaging.outbox, recorder, clock),
    worker,
    close: () => worker.stop(),
  };
}
