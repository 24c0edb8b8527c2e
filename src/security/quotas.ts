import type { HandlerContext } from "../http/route.js";
import { AcsError } from "../errors/acs-errors.js";

/** Who a quota is counted for. */
type QuotaScope = "resource" | "sender" | "thread" | "caller";

export interface QuotaRule {
  operations: readonly string[];
  windowSeconds: number;
  limit: number;
  per: QuotaScope;
}

/**
 * ACS's published service limits (learn.microsoft.com, "Service limits for Azure Communication Services"), so an app
 * can be tested against them. Identity: 1,000 requests per 30 s per operation; SMS: 200 messages a minute per toll-free
 * number; e-mail: 30 a minute and 100 an hour per resource; chat: 10 a second per thread (send message, add
 * participants) and per user (create thread).
 */
export const ACS_QUOTAS: readonly QuotaRule[] = [
  { operations: ["identity.create"], windowSeconds: 30, limit: 1000, per: "resource" },
  { operations: ["identity.issueAccessToken"], windowSeconds: 30, limit: 1000, per: "resource" },
  { operations: ["identity.revokeAccessTokens"], windowSeconds: 30, limit: 1000, per: "resource" },
  { operations: ["identity.delete"], windowSeconds: 30, limit: 1000, per: "resource" },
  { operations: ["identity.exchangeTeamsUserToken", "identity.exchangeEntraUserToken"], windowSeconds: 30, limit: 1000, per: "resource" },
  { operations: ["sms.send"], windowSeconds: 60, limit: 200, per: "sender" },
  { operations: ["email.send"], windowSeconds: 60, limit: 30, per: "resource" },
  { operations: ["email.send"], windowSeconds: 3600, limit: 100, per: "resource" },
  { operations: ["chat.sendMessage", "chat.addParticipants"], windowSeconds: 1, limit: 10, per: "thread" },
  { operations: ["chat.createThread"], windowSeconds: 1, limit: 10, per: "caller" },
];

export type QuotaPreset = "off" | "acs";

const MAX_COUNTERS = 200_000;

/**
 * Data-plane quotas: fixed windows per rule and key. Off unless a preset is chosen (people load-test Switchboard);
 * exceeding one answers ACS's 429 `TooManyRequests` with Retry-After (counted in the request metrics by status).
 */
export class DataPlaneQuotas {
  private readonly counters = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly presetFor: (resourceId: string) => QuotaPreset,
    private readonly now: () => number,
    private readonly rules: readonly QuotaRule[] = ACS_QUOTAS,
  ) {}

  /** Counts the request against every rule of its operation; throws 429 when one is exhausted. */
  check(operation: string, ctx: Pick<HandlerContext<unknown>, "resource" | "principal" | "params" | "body">): void {
    if (this.presetFor(ctx.resource.id) === "off") return;
    const now = this.now();
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]!;
      if (!rule.operations.includes(operation)) continue;
      const key = `${i}|${ctx.resource.id}|${scopeKey(rule.per, ctx)}`;
      const windowMs = rule.windowSeconds * 1000;
      let c = this.counters.get(key);
      if (c === undefined || now - c.start >= windowMs) {
        c = { start: now - ((now - (c?.start ?? now)) % windowMs), count: 0 };
        this.counters.delete(key);
        this.counters.set(key, c);
        if (this.counters.size > MAX_COUNTERS) this.counters.delete(this.counters.keys().next().value as string);
      }
      if (c.count >= rule.limit) {
        const retryAfter = Math.max(1, Math.ceil((c.start + windowMs - now) / 1000));
        throw new AcsError(
          "TooManyRequests",
          `Rate limit of ${rule.limit} requests per ${rule.windowSeconds} s exceeded for ${operation}. Retry after ${retryAfter} seconds.`,
          { headers: { "retry-after": String(retryAfter) } },
        );
      }
      c.count++;
    }
  }
}

function scopeKey(per: QuotaScope, ctx: Pick<HandlerContext<unknown>, "principal" | "params" | "body">): string {
  switch (per) {
    case "resource":
      return "";
    case "sender": {
      const from = (ctx.body as { from?: unknown } | undefined)?.from;
      return typeof from === "string" ? from : "";
    }
    case "thread":
      return ctx.params.threadId ?? "";
    case "caller":
      return ctx.principal?.kind === "user" ? ctx.principal.identity : "";
  }
}
