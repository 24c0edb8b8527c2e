import { z } from "zod";

/**
 * Event Grid delivery (src/events). Kept beside the events code so the main config schema gains one key.
 * The retry schedule defaults to Event Grid's: 10 s, 30 s, 1 min, 5 min, 10 min, 30 min, then every hour, for at most
 * 30 attempts or 24 hours, whichever comes first; then the event is dead-lettered (`switchboard events failures`).
 */
export const eventsConfigSchema = z.object({
  /** Webhook hosts (names or IP literals) allowed besides loopback. Cloud metadata addresses are never allowed. */
  allowedHosts: z.array(z.string().min(1)).default([]),
  /** Delay before retry n (n = 1, 2, …); the last one repeats. */
  retryDelaysMs: z.array(z.number().int().min(1).max(86_400_000)).min(1).default([10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000]),
  maxAttempts: z.number().int().min(1).max(100).default(30),
  maxAgeMs: z.number().int().min(1000).default(86_400_000),
  /** Events per POST (Event Grid batches deliveries too). */
  batchSize: z.number().int().min(1).max(1000).default(100),
  /** How often the delivery worker looks for due events. */
  pollMs: z.number().int().min(10).max(60_000).default(250),
  /** Per-request timeout of webhook POSTs and handshakes. */
  timeoutMs: z.number().int().min(100).max(120_000).default(30_000),
});

export type EventsConfig = z.infer<typeof eventsConfigSchema>;
