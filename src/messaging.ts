import type { Logger } from "pino";
import type { Config } from "./config/config.js";
import { EmailDomains } from "./email/email-domains.js";
import { emailRoutes } from "./email/email-routes.js";
import { EmailService } from "./email/email-service.js";
import { SmtpRelay } from "./email/smtp-relay.js";
import type { RouteSpec } from "./http/route.js";
import { defaultCountryNames } from "./phone-numbers/default-inventory.js";
import { Inventory } from "./phone-numbers/inventory.js";
import { PhoneNumberService } from "./phone-numbers/phone-number-service.js";
import { phoneNumbersRoutes } from "./phone-numbers/phone-numbers-routes.js";
import { reservationRoutes } from "./phone-numbers/reservation-routes.js";
import { ReservationService } from "./phone-numbers/reservation-service.js";
import type { Resource } from "./resources/resource.js";
import { smsRoutes } from "./sms/sms-routes.js";
import { SmsService } from "./sms/sms-service.js";
import type { Store } from "./store/store.js";
import type { Clock } from "./util/clock.js";
import { OutboxRepository } from "./outbox/outbox-repository.js";
import { outboxRoutes } from "./outbox/outbox-routes.js";

/** Phone numbers, SMS, e-mail and the outbox they share. */
export interface Messaging {
  phoneNumbers: PhoneNumberService;
  reservations: ReservationService;
  clock: Clock;
  sms: SmsService;
  email: EmailService;
  emailDomains: EmailDomains;
  outbox: OutboxRepository;
  close(): Promise<void>;
}

export function openMessaging(config: Config, store: Store, clock: Clock, log: Logger): Messaging {
  const outbox = new OutboxRepository(store);
  const inventory = config.phoneNumbers.inventory !== undefined
    ? new Inventory(config.phoneNumbers.inventory, { ...defaultCountryNames, ...config.phoneNumbers.countries })
    : new Inventory(undefined, { ...defaultCountryNames, ...config.phoneNumbers.countries });
  const phoneNumbers = new PhoneNumberService(store, inventory, clock, {
    searchHoldMs: config.phoneNumbers.searchHoldMinutes * 60_000,
  });
  const reservations = new ReservationService(store, phoneNumbers, clock, config.phoneNumbers.reservationHoldMinutes * 60_000);
  const sms: SmsService = new SmsService(store, phoneNumbers, outbox, clock, {
    alphanumericSenders: config.sms.alphanumericSenders,
    webhooksFor: async (resource: Resource) => {
      const configured = config.sms.deliveryReportWebhooks
        .filter((w) => w.resource === undefined || w.resource === resource.name || w.resource === resource.id)
        .map((w) => w.url);
      return [...new Set([...configured, ...(await sms.storedWebhooks(resource.id))])];
    },
  });
  const emailDomains = new EmailDomains(store, clock);
  const relay = config.email.smtpUrl !== undefined ? new SmtpRelay(config.email.smtpUrl, config.email.smtpTimeoutMs) : undefined;
  const email = new EmailService(store, emailDomains, outbox, relay, clock, {
    maxMessageBytes: config.email.maxMessageBytes,
    // nodemailer's connection, greeting and socket timeouts bound a live relay.
    staleAfterMs: 4 * config.email.smtpTimeoutMs,
    maxRecipients: config.email.maxRecipients,
    log,
  });
  return {
    phoneNumbers,
    reservations,
    clock,
    sms,
    email,
    emailDomains,
    outbox,
    async close() {
      await email.drain();
      relay?.close();
    },
  };
}

export function messagingRoutes(m: Messaging): RouteSpec[] {
  return [
    ...phoneNumbersRoutes(m.phoneNumbers),
    ...reservationRoutes(m.reservations, m.phoneNumbers.inventory, m.clock),
    ...smsRoutes(m.sms), ...emailRoutes(m.email), ...outboxRoutes(m.outbox)];
}
