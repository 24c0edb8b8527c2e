import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { eventsConfigSchema } from "../events/events-config.js";
import { emailConfigSchema, phoneNumbersConfigSchema, smsConfigSchema } from "./messaging-config.js";

/**
 * Configuration is read once, validated once (every problem listed together), frozen, and passed in.
 * Nothing else in the code base reads process.env.
 */
const base64Key = z
  .string()
  .regex(/^[A-Za-z0-9+/]{43}=$/, "must be canonical base64 of 32 bytes (44 characters)");

const port = z.number().int().min(0).max(65535);

/** https everywhere; plain http only on loopback (a test or a local issuer on the same machine). */
const keySourceUrl = z.url().refine((u) => {
  const url = new URL(u);
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}, "must be an https URL (http only on loopback)");

/** An external OIDC issuer whose tokens are accepted (a real Entra ID tenant, Keycloak, …). */
const trustedIssuer = z
  .object({
    /** Exactly the `iss` claim of its tokens. */
    issuer: z.string().min(1),
    /** Where its key set is fetched from (only from here: never from a token's jku/x5u/jwk). */
    jwksUri: keySourceUrl.optional(),
    /** Its OpenID discovery document; its jwks_uri is used (and its issuer must match). */
    discoveryUrl: keySourceUrl.optional(),
    /** Accepted `aud` values. */
    audiences: z.array(z.string().min(1)).min(1).default(["https://communication.azure.com", "https://communication.azure.com/"]),
  })
  .refine((t) => (t.jwksUri === undefined) !== (t.discoveryUrl === undefined), "give exactly one of jwksUri or discoveryUrl");

export const configSchema = z.object({
  dataDir: z.string().min(1).default("./.switchboard"),
  /** Keep everything in memory (SQLite ":memory:"); nothing survives the process. */
  inMemory: z.boolean().default(false),
  /** postgres://… selects the PostgreSQL backend; absent means the embedded SQLite file in dataDir. */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://").optional(),
  host: z.string().min(1).default("127.0.0.1"),
  /** HTTPS listener. 0 picks a free port. */
  port: port.default(8443),
  /** Plain HTTP listener (HMAC clients with allowInsecureConnection). 0 picks a free port; null disables it. */
  httpPort: port.nullable().default(8080),
  tls: z
    .object({ certFile: z.string().min(1).optional(), keyFile: z.string().min(1).optional() })
    .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), "tlsCert and tlsKey go together")
    .default({}),
  /** The development resource created on first start. Pinned keys are applied at every start. */
  resource: z
    .object({
      name: z.string().min(1).default("dev"),
      id: z.uuid().optional(),
      primaryKey: base64Key.optional(),
      secondaryKey: base64Key.optional(),
    })
    .default({ name: "dev" }),
  tokens: z
    .object({
      /** `iss` of user access tokens. */
      issuer: z.string().min(1).default("https://switchboard.local/"),
    })
    .default({ issuer: "https://switchboard.local/" }),
  log: z
    .object({
      level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
      /** Write the request log to this file instead of stdout. */
      file: z.string().min(1).optional(),
    })
    .default({ level: "info" }),
  sqlite: z
    .object({
      /** FULL: a 2xx survives power loss. Writes are group-committed, so FULL costs little throughput. */
      synchronous: z.enum(["FULL", "NORMAL"]).default("FULL"),
      /**
       * The activity record's own file (src/activity/activity-storage.ts). NORMAL: a commit survives a process crash
       * but the last seconds of events may be lost at a power loss, like the events still queued at a crash; FULL
       * fsyncs every batch, which costs the request path several per cent on one disk (bench/RESULTS.md).
       */
      activitySynchronous: z.enum(["FULL", "NORMAL"]).default("NORMAL"),
    })
    .prefault({}),
  postgres: z.object({ poolSize: z.number().int().min(1).max(200).default(10) }).default({ poolSize: 10 }),
  entra: z
    .object({
      trustedIssuers: z.array(trustedIssuer).default([]),
      /** Lifetime of access tokens from the built-in authority. */
      accessTokenMinutes: z.number().int().min(5).max(1440).default(60),
    })
    .default({ trustedIssuers: [], accessTokenMinutes: 60 }),
  /** How often a process looks for changes made by other processes (CLI, other replicas). */
  invalidationPollMs: z.number().int().min(20).max(5000).default(250),
  /** The activity record per identity (docs/monitoring.md). */
  activity: z
    .object({
      /** false: nothing is recorded (the query still answers from what is stored). */
      enabled: z.boolean().default(true),
      /** Rows waiting to be written; beyond this new events are dropped and counted. */
      queueLimit: z.number().int().min(1).max(1_000_000).default(20_000),
      batchSize: z.number().int().min(1).max(5_000).default(1_000),
      flushIntervalMs: z.number().int().min(1).max(60_000).default(2_000),
      retention: z
        .object({
          maxAgeDays: z.number().positive().default(90),
          maxRows: z.number().int().min(1).default(5_000_000),
          intervalSeconds: z.number().min(0.05).max(86_400).default(300),
        })
        .prefault({}),
    })
    .prefault({}),
  /** GET /metrics (Prometheus). Open on a loopback host; elsewhere only with `token` as a bearer token. */
  metrics: z
    .object({
      enabled: z.boolean().default(true),
      token: z.string().min(16, "must be at least 16 characters").optional(),
      /** The window of the active-identities gauge. */
      activeWindowSeconds: z.number().int().min(1).max(86_400).default(300),
    })
    .prefault({}),
  // --- messaging (phone numbers, SMS, e-mail) ---
  phoneNumbers: phoneNumbersConfigSchema.default({ searchHoldMinutes: 15, reservationHoldMinutes: 15 }),
  sms: smsConfigSchema.default({ alphanumericSenders: [], deliveryReportWebhooks: [], webhookMaxAttempts: 5, webhookBackoffMs: 1000 }),
  email: emailConfigSchema.default({ maxMessageBytes: 10 * 1024 * 1024, maxRecipients: 50, smtpTimeoutMs: 10_000 }),
  /** Event Grid events to webhooks (src/events/events-config.ts). */
  events: eventsConfigSchema.prefault({}),
  /** Browser calling (docs/calling.md): ICE servers handed to clients and the signaling limits. */
  calling: z
    .object({
      /** STUN servers handed to every client, e.g. `stun:stun.example.org:3478`. */
      stunUrls: z.array(z.string().regex(/^stuns?:/, "must start with stun: or stuns:")).default([]),
      /** A TURN server using the TURN REST API shared secret (coturn `use-auth-secret`); credentials are per call. */
      turn: z
        .object({
          urls: z.array(z.string().regex(/^turns?:/, "must start with turn: or turns:")).min(1),
          secret: z.string().min(16, "must be at least 16 characters"),
          ttlSeconds: z.number().int().min(60).max(86_400).default(3600),
        })
        .optional(),
      /** Participants per call (full mesh: each pair negotiates directly). */
      maxParticipants: z.number().int().min(2).max(8).default(8),
      /** How long an invitation rings before it counts as missed. */
      ringTimeoutSeconds: z.number().int().min(5).max(600).default(60),
      /** Largest signaling frame; a bigger one closes the socket with 1009. */
      maxMessageBytes: z.number().int().min(4096).max(1_048_576).default(65_536),
      /** Per-socket token bucket: sustained rate and burst; exceeding it closes the socket with 4429. */
      messagesPerSecond: z.number().int().min(1).max(10_000).default(50),
      messageBurst: z.number().int().min(1).max(100_000).default(200),
      /** A socket must authenticate within this time. */
      authTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
    })
    .prefault({}),
});

export type Config = Readonly<z.infer<typeof configSchema>>;
export type ConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Environment variables the server understands, and where each lands in the config. */
const envMapping: Array<[string, (v: string) => ConfigInput]> = [
  ["SWITCHBOARD_DATA_DIR", (v) => ({ dataDir: v })],
  ["SWITCHBOARD_DATABASE_URL", (v) => ({ databaseUrl: v })],
  ["SWITCHBOARD_HOST", (v) => ({ host: v })],
  ["SWITCHBOARD_PORT", (v) => ({ port: Number(v) })],
  ["SWITCHBOARD_HTTP_PORT", (v) => ({ httpPort: v === "off" ? null : Number(v) })],
  ["SWITCHBOARD_RESOURCE_ID", (v) => ({ resource: { id: v } })],
  ["SWITCHBOARD_RESOURCE_NAME", (v) => ({ resource: { name: v } })],
  ["SWITCHBOARD_PRIMARY_KEY", (v) => ({ resource: { primaryKey: v } })],
  ["SWITCHBOARD_SECONDARY_KEY", (v) => ({ resource: { secondaryKey: v } })],
  ["SWITCHBOARD_LOG_LEVEL", (v) => ({ log: { level: v as "info" } })],
  ["SWITCHBOARD_LOG_FILE", (v) => ({ log: { file: v } })],
  ["SWITCHBOARD_SQLITE_SYNCHRONOUS", (v) => ({ sqlite: { synchronous: v as "FULL" } })],
  ["SWITCHBOARD_SQLITE_ACTIVITY_SYNCHRONOUS", (v) => ({ sqlite: { activitySynchronous: v as "FULL" } })],
  ["SWITCHBOARD_PG_POOL_SIZE", (v) => ({ postgres: { poolSize: Number(v) } })],
  ["SWITCHBOARD_ACTIVITY_ENABLED", (v) => ({ activity: { enabled: !/^(0|false|off|no)$/i.test(v) } })],
  ["SWITCHBOARD_ACTIVITY_MAX_AGE_DAYS", (v) => ({ activity: { retention: { maxAgeDays: Number(v) } } })],
  ["SWITCHBOARD_ACTIVITY_MAX_ROWS", (v) => ({ activity: { retention: { maxRows: Number(v) } } })],
  ["SWITCHBOARD_METRICS_TOKEN", (v) => ({ metrics: { token: v } })],
  ["SWITCHBOARD_SMTP_URL", (v) => ({ email: { smtpUrl: v } })],
  ["SWITCHBOARD_EVENTS_RETRY_DELAYS_MS", (v) => ({ events: { retryDelaysMs: v.split(",").map(Number) } }) as ConfigInput],
  ["SWITCHBOARD_ENTRA_TRUSTED_ISSUERS", (v) => ({ entra: { trustedIssuers: parseJsonOr(v) as never } })],
  ["SWITCHBOARD_STUN_URLS", (v) => ({ calling: { stunUrls: v.split(",").map((u) => u.trim()) } })],
  ["SWITCHBOARD_TURN_URLS", (v) => ({ calling: { turn: { urls: v.split(",").map((u) => u.trim()) } } }) as ConfigInput],
  ["SWITCHBOARD_TURN_SECRET", (v) => ({ calling: { turn: { secret: v } } }) as ConfigInput],
];

type Plain = Record<string, unknown>;

/** A JSON-valued variable; unparsable text is passed on as is, so the schema reports it with the other problems. */
function parseJsonOr(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function isPlain(v: unknown): v is Plain {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge of plain objects; later layers win; undefined never overrides. */
export function mergeLayers(...layers: Plain[]): Plain {
  const out: Plain = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      out[k] = isPlain(v) && isPlain(out[k]) ? mergeLayers(out[k] as Plain, v) : v;
    }
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Builds the configuration from (lowest to highest precedence) defaults, an optional JSON file, the environment,
 * and explicit options (the CLI's flags). Throws ConfigError with every problem at once.
 */
export function loadConfig(
  options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: ConfigInput } = {},
): Config {
  const problems: string[] = [];
  let fileLayer: Plain = {};
  if (options.file !== undefined) {
    try {
      fileLayer = JSON.parse(readFileSync(options.file, "utf8")) as Plain;
    } catch (err) {
      problems.push(`config file ${options.file}: ${(err as Error).message}`);
    }
  }
  const env = options.env ?? {};
  const envLayers = envMapping.filter(([name]) => env[name] !== undefined && env[name] !== "").map(([name, map]) => map(env[name]!) as Plain);
  const merged = mergeLayers(fileLayer, ...envLayers, (options.overrides ?? {}) as Plain);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const config = parsed.data;
  config.dataDir = path.resolve(config.dataDir);
  return deepFreeze(config);
}
export type TrustedIssuerConfig = Config["entra"]["trustedIssuers"][number];
