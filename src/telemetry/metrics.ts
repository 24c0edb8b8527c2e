import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { inCategory, issuedToken } from "../activity/activity-operations.js";
import type { ActivityRecorderStats, DropReason } from "../activity/activity-recorder.js";
import type { RequestFacts } from "../http/pipeline.js";
import { ActiveIdentities } from "./active-identities.js";

export interface MetricsOptions {
  /** Feeds the active-identities gauge with the identities of every activity event. */
  observeIdentities: (observer: (identities: readonly string[]) => void) => void;
  /** The activity recorder's counters (read at scrape time). */
  activity: ActivityRecorderStats;
  activeWindowMs: number;
  now: () => number;
}

const PREFIX = "switchboard_";
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How a request authenticated, as a metric label: the principal's kind, or why there is none. */
export function authLabel(facts: RequestFacts, status: number): string {
  if (facts.principal !== undefined) return facts.principal.kind;
  return status === 401 ? "rejected" : "none";
}

/**
 * Values found by their label values in nested maps (no key is built): prom-client's `labels()` builds and hashes a
 * label object on every call, and these are counted on every request. As many as prom-client keeps itself (one per
 * label set).
 */
function childrenOf<T>(make: (...values: string[]) => T): (...values: string[]) => T {
  const root = new Map<string, unknown>();
  return (...values) => {
    let level = root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(values[i]!) as Map<string, unknown> | undefined;
      if (next === undefined) level.set(values[i]!, (next = new Map()));
      level = next;
    }
    let child = level.get(values[last]!) as T | undefined;
    if (child === undefined) level.set(values[last]!, (child = make(...values)));
    return child;
  };
}

/** One label set of a counter, counted in a plain number and handed to prom-client when it is scraped. */
interface Tally {
  labels: string[];
  count: number;
  /** How much of `count` prom-client has. */
  reported: number;
}

/**
 * A labelled counter counted per request without prom-client on the path: even a child from `labels()` hashes its
 * label object on every inc() (~1 µs each, two or three counters per request). The counts reach the registry at
 * scrape time (`collect`), so what a scrape shows is exact as of that scrape.
 */
function tallyCounter<L extends string>(config: { name: string; help: string; labelNames: L[]; registers: Registry[] }): (...values: string[]) => Tally {
  const tallies: Tally[] = [];
  new Counter<L>({
    ...config,
    collect() {
      for (const t of tallies) {
        if (t.count === t.reported) continue;
        this.inc(Object.fromEntries(config.labelNames.map((name, i) => [name, t.labels[i]!])) as Partial<Record<L, string>>, t.count - t.reported);
        t.reported = t.count;
      }
    },
  });
  return childrenOf((...labels) => {
    const tally = { labels, count: 0, reported: 0 };
    tallies.push(tally);
    return tally;
  });
}

/** A scope set's label: its scopes sorted, comma-separated (most lists arrive sorted: then no copy is made). */
function scopeSetLabel(scopes: readonly unknown[]): string {
  for (let i = 1; i < scopes.length; i++) if (String(scopes[i - 1]) > String(scopes[i])) return scopes.map(String).sort().join(",");
  return scopes.join(",");
}

/**
 * The Prometheus metrics of one server instance (its own registry, so several servers in one process never mix).
 * Labels are bounded: operation names, status codes, auth schemes, error codes, scope sets; never an identity.
 */
export class SwitchboardMetrics {
  readonly registry = new Registry();
  readonly activeIdentities: ActiveIdentities;
  private readonly latency: Histogram<"operation">;
  private readonly authFailures: Counter<"code">;
  private readonly revocations: Counter;
  private readonly requestsBy: (operation: string, status: string, auth: string) => Tally;
  private readonly latencyBy: (operation: string) => Histogram.Internal<"operation">;
  private readonly resourceRequestsBy: (resource: string, status: string) => Tally;
  private readonly tokensIssuedBy: (scopes: string) => Tally;

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    this.activeIdentities = new ActiveIdentities(options.activeWindowMs, options.now);
    options.observeIdentities((identities) => {
      for (const identity of identities) this.activeIdentities.touch(identity);
    });
    this.requestsBy = tallyCounter({
      name: `${PREFIX}http_requests_total`,
      help: "HTTP requests by operation, status code and authentication scheme.",
      labelNames: ["operation", "status", "auth"],
      registers,
    });
    this.latency = new Histogram({
      name: `${PREFIX}http_request_duration_seconds`,
      help: "HTTP request latency by operation.",
      labelNames: ["operation"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.authFailures = new Counter({
      name: `${PREFIX}auth_failures_total`,
      help: "Requests refused by authentication (401) or authorization (403), by error code.",
      labelNames: ["code"],
      registers,
    });
    this.tokensIssuedBy = tallyCounter({
      name: `${PREFIX}tokens_issued_total`,
      help: "User access tokens issued, by scope set (scopes sorted, comma-separated).",
      labelNames: ["scopes"],
      registers,
    });
    this.revocations = new Counter({
      name: `${PREFIX}token_revocations_total`,
      help: "Successful revocations of an identity's tokens.",
      registers,
    });
    // Per resource in a family of its own, so the operation/auth series above are not multiplied by resources.
    this.resourceRequestsBy = tallyCounter({
      name: `${PREFIX}resource_http_requests_total`,
      help: "HTTP requests by resource (its immutable resource id; \"none\" for requests that name none) and status class.",
      labelNames: ["resource", "status"],
      registers,
    });
    this.latencyBy = childrenOf((...values) => this.latency.labels(...values));
    const active = this.activeIdentities;
    new Gauge({
      name: `${PREFIX}active_identities`,
      help: `Distinct identities that acted or were acted on in the last ${Math.round(options.activeWindowMs / 1000)} s (this process).`,
      registers,
      collect() {
        this.set(active.count());
      },
    });

    const stats = options.activity;
    let written = 0;
    new Counter({
      name: `${PREFIX}activity_events_written_total`,
      help: "Activity record rows written.",
      registers,
      collect() {
        this.inc(stats.written - written);
        written = stats.written;
      },
    });
    const dropped: Record<DropReason, number> = { queue_full: 0, write_failed: 0 };
    new Counter({
      name: `${PREFIX}activity_events_dropped_total`,
      help: "Activity record rows dropped: queue_full (the write queue was full) or write_failed (the store refused).",
      labelNames: ["reason"],
      registers,
      collect() {
        for (const reason of Object.keys(dropped) as DropReason[]) {
          this.inc({ reason }, stats.dropped[reason] - dropped[reason]);
          dropped[reason] = stats.dropped[reason];
        }
      },
    });
    new Gauge({
      name: `${PREFIX}activity_queue_length`,
      help: "Activity record rows waiting to be written.",
      registers,
      collect() {
        this.set(stats.queued);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  /** Called once per finished request. */
  observeRequest(facts: RequestFacts, status: number, durationMs: number): void {
    const operation = facts.operation;
    this.requestsBy(operation, String(status), authLabel(facts, status)).count++;
    this.latencyBy(operation).observe(durationMs / 1000);
    this.resourceRequestsBy(facts.resourceId ?? "none", `${Math.floor(status / 100)}xx`).count++;
    if ((status === 401 || status === 403) && facts.errorCode !== undefined) this.authFailures.inc({ code: facts.errorCode });
    const ok = status >= 200 && status < 300;
    if (ok && issuedToken(status, facts.fields)) {
      const scopes = facts.fields?.scopes;
      // Token exchanges (Teams, Entra users) carry no scope list: their tokens are counted as "exchange".
      const label = Array.isArray(scopes) ? scopeSetLabel(scopes) : scopes === undefined ? "exchange" : String(scopes);
      this.tokensIssuedBy(label).count++;
    }
    if (ok && inCategory("revocations", operation)) this.revocations.inc();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
