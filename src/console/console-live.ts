import { PassThrough } from "node:stream";
import type { HandlerContext, Reply } from "../http/route.js";
import { esc } from "./console-html.js";

/** One Server-Sent Event: its name and its JSON data. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/**
 * A console stream of Server-Sent Events: every `pollMs`, `next(first)` gives the events to send (none: nothing
 * changed); a `: connected` comment follows the first poll, a `: retrying` one a failed poll. The stream ends when
 * either side closes it (and with the server: `streams` holds the open ones).
 */
export function sseStream(streams: Set<PassThrough>, ctx: HandlerContext<unknown>, pollMs: number, next: (first: boolean) => Promise<SseEvent[]>): Reply {
  const out = new PassThrough();
  streams.add(out);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    streams.delete(out);
    out.end();
  };
  ctx.request.raw.on("close", stop);
  out.on("close", stop);
  const tick = async (first: boolean) => {
    try {
      const events = await next(first);
      for (const e of events) if (!stopped) out.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
      if (first && !stopped) out.write(`: connected\n\n`);
    } catch {
      if (!stopped) out.write(`: retrying\n\n`);
    }
    if (!stopped) timer = setTimeout(() => void tick(false), pollMs);
  };
  void tick(true);
  return {
    status: 200,
    rawBody: out,
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no", "x-content-type-options": "nosniff" },
  };
}

/**
 * A live view's stream: `next()` says what changed since its last call (undefined: nothing), sent as an `update`
 * event. The page's script applies the same JSON that the view's polling endpoint answers (console-assets.ts), so
 * both paths render alike.
 */
export function liveStream(streams: Set<PassThrough>, ctx: HandlerContext<unknown>, pollMs: number, next: () => Promise<unknown>): Reply {
  return sseStream(streams, ctx, pollMs, async () => {
    const update = await next();
    return update === undefined ? [] : [{ event: "update", data: update }];
  });
}

interface Sample {
  t: number;
  requests: number;
  seconds: number;
  count: number;
}

/** Sums every series of a metric family in Prometheus text (`name{…} value` and `name value`). */
function sumOf(text: string, name: string): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (line[name.length] !== "{" && line[name.length] !== " ")) continue;
    const v = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(v)) total += v;
  }
  return total;
}

/**
 * The Overview's request-rate and latency chart: samples of the /metrics request counter and latency histogram
 * (this process), taken every `everyMs` while the console is in use and when the Overview is shown. A point is the
 * difference between two samples: requests per second, and the mean latency of the requests in between.
 */
export class RequestSampler {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: () => Promise<string | undefined>,
    private readonly now: () => number,
    private readonly options: { everyMs: number; keep: number } = { everyMs: 10_000, keep: 61 },
  ) {}

  /** Starts the periodic samples (once; the timer never keeps the process alive). */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.sample().catch(() => undefined), this.options.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes a sample, unless the last one is less than a second old. */
  async sample(): Promise<void> {
    const t = this.now();
    const last = this.samples[this.samples.length - 1];
    if (last !== undefined && t - last.t < 1_000) return;
    const text = await this.read();
    if (text === undefined) return;
    const prefix = "switchboard_http_request";
    this.samples.push({ t, requests: sumOf(text, `${prefix}s_total`), seconds: sumOf(text, `${prefix}_duration_seconds_sum`), count: sumOf(text, `${prefix}_duration_seconds_count`) });
    if (this.samples.length > this.options.keep) this.samples.shift();
  }

  points(): Array<{ t: number; rate: number; latencyMs: number }> {
    const out: Array<{ t: number; rate: number; latencyMs: number }> = [];
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[i - 1]!;
      const b = this.samples[i]!;
      const n = b.count - a.count;
      out.push({ t: b.t, rate: Math.max(0, b.requests - a.requests) / ((b.t - a.t) / 1000), latencyMs: n > 0 ? ((b.seconds - a.seconds) / n) * 1000 : 0 });
    }
    return out;
  }
}

const round = (v: number) => (v >= 100 ? Math.round(v) : Math.round(v * 10) / 10);

/** A small line chart as server-rendered SVG (presentation attributes only: the CSP allows no inline style). */
export function lineChart(id: string, title: string, unit: string, values: number[]): string {
  const w = 320;
  const h = 80;
  const max = Math.max(...values, 0);
  const latest = values[values.length - 1];
  const summary =
    values.length === 0 ? "no samples yet (one every 10 seconds while the console is open)" : `latest ${round(latest!)} ${unit}, highest ${round(max)} ${unit} over ${values.length} samples`;
  const scale = max > 0 ? max : 1;
  const points = values.map((v, i) => `${values.length === 1 ? w : Math.round((i / (values.length - 1)) * w)},${Math.round(h - 4 - (v / scale) * (h - 8))}`).join(" ");
  return `<figure class="chart"><svg role="img" aria-labelledby="${id}-t" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">
<title id="${id}-t">${esc(title)}</title>
<rect x="0" y="0" width="${w}" height="${h}" fill="#ffffff" stroke="#cccccc"/>
${values.length === 0 ? "" : `<polyline fill="none" stroke="#0b57d0" stroke-width="2" points="${points}"/>`}
</svg><figcaption>${esc(title)}: ${esc(summary)}</figcaption></figure>`;
}
