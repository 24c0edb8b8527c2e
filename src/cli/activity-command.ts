import type { Command } from "commander";
import type { Core } from "../core.js";
import type { ActivityEvent } from "../activity/activity-event.js";
import { OPERATION_PATTERN } from "../activity/activity-operations.js";
import { summarizeActivity, type ActivitySummary } from "../activity/activity-summary.js";
import { parseIdentityId } from "../identity/identity-id.js";
import { addStoreOptions, intOption, printJson, withCore, type StoreOptions } from "./common.js";

export interface ActivityListOptions {
  /** Absent: recent events of every identity (each event once). */
  identity?: string;
  /** `90s`, `15m`, `1h`, `7d`, `2w`, or an ISO-8601 date-time. */
  since?: string;
  /** ISO-8601 date-time (exclusive) or a duration ago. */
  until?: string;
  operation?: string;
  limit?: number;
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PAGE = 1_000;

/** A point in time: an ISO date-time, or a duration before `now` (`1h`). */
export function parseWhen(value: string, now: number, name: string): number {
  const ago = /^(\d+)([smhdw])$/.exec(value);
  if (ago !== null) return now - Number(ago[1]) * UNIT_MS[ago[2]!]!;
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) throw new Error(`${name} must be a duration (30m, 1h, 7d) or an ISO date-time, got '${value}'`);
  return t;
}

/** The resource an identity belongs to (its id says so for `8:acs:`; Teams users have a row), if known. */
async function ownerOf(core: Core, identity: string): Promise<string | undefined> {
  return parseIdentityId(identity)?.resourceId ?? (await core.identityRepository.find(identity))?.resourceId;
}

/**
 * The identity's events, newest first: only those of the identity's own resource. Without an identity: every
 * identity's recent events, each event once.
 */
export async function listActivity(core: Core, options: ActivityListOptions): Promise<ActivityEvent[]> {
  if (options.operation !== undefined && !OPERATION_PATTERN.test(options.operation)) {
    throw new Error(`--operation must be an operation name, optionally ending in .* (e.g. chat.*), got '${options.operation}'`);
  }
  const now = core.clock.now();
  const from = options.since === undefined ? undefined : parseWhen(options.since, now, "--since");
  const to = options.until === undefined ? undefined : parseWhen(options.until, now, "--until");
  const limit = options.limit ?? (options.identity === undefined ? 50 : 10_000);
  const events: ActivityEvent[] = [];
  const seen = new Set<string>();
  const owner = options.identity === undefined ? undefined : await ownerOf(core, options.identity);
  let after: { time: number; id: number } | undefined;
  do {
    const page = await core.activityRepository.query({
      ...(options.identity !== undefined ? { identity: options.identity } : {}),
      ...(owner !== undefined ? { resourceId: owner } : {}),
      limit: Math.min(PAGE, limit - events.length),
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      ...(options.operation !== undefined ? { operation: options.operation } : {}),
      ...(after !== undefined ? { after } : {}),
    });
    for (const e of page.events) {
      // Across identities, an event filed under two of them (a chat message to a thread) is listed once.
      if (options.identity === undefined && seen.has(e.id)) continue;
      seen.add(e.id);
      events.push(e);
    }
    after = page.next;
  } while (after !== undefined && events.length < limit);
  return events;
}

export async function summarizeIdentity(core: Core, identity: string): Promise<ActivitySummary> {
  const owner = await ownerOf(core, identity);
  const events = await core.activityRepository.all(identity);
  return summarizeActivity(identity, owner === undefined ? events : events.filter((e) => e.resourceId === owner));
}

/** Removes every event filed under the identity (data-subject requests); returns how many rows went. */
export async function purgeActivity(core: Core, identity: string): Promise<number> {
  await core.activity.flush();
  return core.activityRepository.purge(identity);
}

/** `8:acs:<resource id>_<uuid>` → `8:acs:…<last 8 characters>`: enough to tell identities apart in a table. */
export function shortIds(text: string): string {
  return text.replace(/8:acs:[0-9a-f-]{36}_([0-9A-Za-z-]+)/g, (_m, local: string) => `8:acs:…${local.slice(-8)}`);
}

/** A readable table: time (seconds), operation, one outcome column, acting principal, subjects; short ids; aligned. */
export function formatActivityTable(events: readonly ActivityEvent[]): string {
  const rows = events.map((e) => [
    e.time.replace(/\.\d+Z$/, "Z"),
    e.operation,
    e.errorCode !== undefined ? `${e.status ?? ""} ${e.errorCode}`.trim() : String(e.status ?? e.outcome),
    shortIds(e.principal ?? "-"),
    shortIds(e.subjects.join(",")) || "-",
  ]);
  const header = ["TIME", "OPERATION", "OUTCOME", "BY", "SUBJECTS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

function formatSummary(s: ActivitySummary): string {
  const lines: Array<[string, string | number | undefined]> = [
    ["identity", s.identity],
    ["events", s.events],
    ["first activity", s.firstActivity],
    ["last activity", s.lastActivity],
    ["tokens issued", s.tokensIssued],
    ["last token", s.lastTokenIssuedAt],
    ["revocations", s.revocations],
    ["threads joined", s.threadsJoined],
    ["messages sent", s.messagesSent],
    ["calls", s.calls],
    ["SMS sent", s.smsSent],
    ["e-mails sent", s.emailsSent],
    ["auth failures", s.authFailures],
  ];
  return lines.map(([k, v]) => `${k.padEnd(15)} ${v ?? "-"}`).join("\n") + "\n";
}

interface ListFlags extends StoreOptions {
  identity?: string;
  since?: string;
  until?: string;
  operation?: string;
  limit?: string;
  json?: boolean;
}

export function registerActivityCommand(program: Command): void {
  const activity = addStoreOptions(
    program
      .command("activity")
      .description("the activity record, newest first: one identity's, or recent events of all (subcommands: summary, purge)")
      .option("--identity <id>", "communication identity (8:acs:…); default: every identity")
      .option("--since <when>", "only events at or after: a duration ago (30m, 1h, 7d) or an ISO date-time")
      .option("--until <when>", "only events before: a duration ago or an ISO date-time")
      .option("--operation <pattern>", "an operation name or a prefix pattern such as chat.*")
      .option("--limit <n>", "at most this many events (default 10000 for one identity, 50 for all)")
      .option("--json", "a JSON array of events (full ids and fields)")
      // `activity summary --identity X`: options after a subcommand's name belong to the subcommand.
      .enablePositionalOptions(),
  ).action(async (flags: ListFlags) => {
    await withCore(flags, async (core) => {
      const events = await listActivity(core, {
        ...(flags.identity !== undefined ? { identity: flags.identity } : {}),
        ...(flags.since !== undefined ? { since: flags.since } : {}),
        ...(flags.until !== undefined ? { until: flags.until } : {}),
        ...(flags.operation !== undefined ? { operation: flags.operation } : {}),
        ...(flags.limit !== undefined ? { limit: intOption(flags.limit, "--limit") } : {}),
      });
      if (flags.json === true) printJson(events);
      else process.stdout.write(events.length === 0 ? "no activity\n" : formatActivityTable(events));
    });
  });
  addStoreOptions(
    activity
      .command("summary")
      .description("what the identity did and had done on its behalf")
      .requiredOption("--identity <id>", "communication identity")
      .option("--json", "one JSON object"),
  ).action(async (flags: { identity: string; json?: boolean } & StoreOptions) => {
    await withCore(flags, async (core) => {
      const summary = await summarizeIdentity(core, flags.identity);
      if (flags.json === true) printJson(summary);
      else process.stdout.write(formatSummary(summary));
    });
  });
  addStoreOptions(
    activity
      .command("purge")
      .description("delete every activity event filed under the identity (data-subject requests)")
      .requiredOption("--identity <id>", "communication identity")
      .option("--json", "one JSON object"),
  ).action(async (flags: { identity: string; json?: boolean } & StoreOptions) => {
    await withCore(flags, async (core) => {
      const removed = await purgeActivity(core, flags.identity);
      if (flags.json === true) printJson({ identity: flags.identity, removed });
      else process.stdout.write(`removed ${removed} activity events of ${flags.identity}\n`);
    });
  });
}
