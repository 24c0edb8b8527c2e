import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { devModeLayer, isLoopbackHost } from "./dev-mode.js";
import { managementConfigSchema } from "./management-config.js";
import { eventsConfigSchema } from "../events/events-config.js";
import { emailConfigSchema, phoneNumbersConfigSchema, smsConfigSchema } from "./messaging-config.js";
import { isKeySourceUrl } from "../util/key-source-url.js";
import { ACS_AUDIENCES } from "../auth/audiences.js";

/**
 * Configuration is read once, validated once (every problem listed together), frozen, and passed in.
 * Nothing else in the code base reads process.env.
 */
const base64Key = z
  .string()
  .regex(/^[A-Za-z0-9+/]{43}=$/, "must be canonical base64 of 32 bytes (44 characters)");

const port = z.number().int().min(0).max(65535);

/** Any RFC 4122 string (8-4-4-4-12 hex, any version and variant, all-zero included), kept in lower case. */
const guid = z.guid("must be a GUID (8-4-4-4-12 hexadecimal digits)").transform((v) => v.toLowerCase());

/** https everywhere; plain http only on loopback (a test or a local issuer on the same machine). */
const keySourceUrl = z.url().refine(isKeySourceUrl, "must be an https URL (http only on loopback)");

/** An external OIDC issuer whose tokens are accepted (a real Entra ID tenant, Keycloak, …). */
const trustedIssuer = z
  .object({
    /** Exactly the `iss` claim of its tokens. */
    issuer: z.string().min(1),
    /** Where its key set is fetched from (only from here: never from a token's jku/x5u/jwk). */
    jwksUri: keySourceUrl.optional(),
    /** Its OpenID discovery document; its jwks_uri is used (and its issuer must match). */
    discoveryUrl: keySourceUrl.optional(),
    /** Accepted `aud` values for the ACS data plane (bearer on the ACS API, the Entra user exchange). */
    audiences: z.array(z.string().min(1)).min(1).default([...ACS_AUDIENCES]),
    /** Accepted `aud` values per other purpose; absent: the issuer's tokens are not accepted for it (SECURITY.md). */
    managementAudiences: z.array(z.string().min(1)).min(1).optional(),
    teamsAudiences: z.array(z.string().min(1)).min(1).optional(),
    trustedAuthAudiences: z.array(z.string().min(1)).min(1).optional(),
  })
  .refine((t) => {
    const lists = [t.audiences, t.managementAudiences ?? [], t.teamsAudiences ?? [], t.trustedAuthAudiences ?? []];
    const all = lists.flat();
    return new Set(all).size === all.length;
  }, "an audience may serve one purpose only (audiences, managementAudiences, teamsAudiences, trustedAuthAudiences)")
  .refine((t) => (t.jwksUri === undefined) !== (t.discoveryUrl === undefined), "give exactly one of jwksUri or discoveryUrl");

export const configSchema = z.object({
  dataDir: z.string().min(1).default("./.switchboard"),
  /** The well-known development mode (dev-mode.ts): fixed, published resource id, keys and tenant. Insecure. */
  dev: z.boolean().default(false),
  /** Allow `dev` on a non-loopback address (a container's private network). */
  devAllowRemote: z.boolean().default(false),
  /** Refuse well-formed api-versions this server does not know (src/http/api-versions.ts); default: accept, warn. */
  strictApiVersions: z.boolean().default(false),
  /** Keep everything in memory (SQLite ":memory:"); nothing survives the process. */
  inMemory: z.boolean().default(false),
  /** postgres://… selects the PostgreSQL backend; absent means the embedded SQLite file in dataDir. */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://").optional(),
  host: z.string().min(1).default("127.0.0.1"),
  /**
   * Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-Proto/-For are believed (SECURITY.md). With TLS
   * terminated there, bearer credentials forwarded as https are accepted on the plain HTTP listener.
   */
  trustedProxies: z
    .array(z.string().refine((v) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(v), "must be an IP address or CIDR range"))
    .default([]),
  /** HTTPS listener. 0 picks a free port. */
  port: port.default(8443),
  /** Plain HTTP listener (HMAC clients with allowInsecureConnection). 0 picks a free port; null disables it. */
  httpPort: port.nullable().default(8080),
  tls: z
    .object({
      certFile: z.string().min(1).optional(),
      keyFile: z.string().min(1).optional(),
      /** Extra names (DNS or IP) of the generated certificate, e.g. a container's service name. */
      hostnames: z.array(z.string().min(1)).default([]),
    })
    .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), "tlsCert and tlsKey go together")
    .prefault({}),
  /** The development resource created on first start. Pinned keys are applied at every start. */
  resource: z
    .object({
      name: z.string().min(1).default("dev"),
      id: guid.optional(),
      primaryKey: base64Key.optional(),
      secondaryKey: base64Key.optional(),
    })
    .prefault({}),
  tokens: z
    .object({
      /** `iss` of user access tokens. */
      issuer: z.string().min(1).default("https://switchboard.local/"),
      /** User tokens whose signature was verified, kept until they expire or this many are cached (oldest go first). */
      verifiedCacheSize: z.number().int().min(0).max(10_000_000).default(10_000),
      /** Identities whose revocation state is kept in memory (token checks and issuance read it; oldest go first). */
      identityStateCacheSize: z.number().int().min(0).max(10_000_000).default(50_000),
    })
    .prefault({}),
  log: z
    .object({
      level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
      /** Write the request log to this file instead of stdout. */
      file: z.string().min(1).optional(),
    })
    .prefault({}),
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
      /**
       * SQLite's page cache per connection, in KiB (`PRAGMA cache_size = -N`). The server holds two connections to
       * switchboard.db (writes, reads), so this is at most twice this much memory. It holds the inner pages of the
       * indexes at a million identities with room to spare (bench/RESULTS.md "A million identities").
       */
      cacheSizeKib: z.number().int().min(256).max(4_194_304).default(8_192),
      /**
       * The page cache of the activity record's writer thread, in KiB. Its inserts append (by row id, time) or land in
       * a few hot index pages, and it runs off the request thread, so a small cache costs requests nothing; left
       * unset, it would be better-sqlite3's build default of 16 MB, all of it resident under load (bench/RESULTS.md
       * "Issue 15: fifth pass").
       */
      activityCacheSizeKib: z.number().int().min(256).max(4_194_304).default(2_048),
      /** `PRAGMA mmap_size` in MiB; 0 (default) reads through the OS page cache, which RSS does not count. */
      mmapSizeMib: z.number().int().min(0).max(65_536).default(0),
      /**
       * `PRAGMA wal_autocheckpoint` in pages: the WAL is copied back into the database file once it holds this many
       * pages (a longer WAL makes every read look through a larger WAL index).
       */
      walAutocheckpointPages: z.number().int().min(100).max(1_000_000).default(1000),
      /** Prepared statements kept per connection (by SQL text; requests use a few dozen). */
      statementCacheSize: z.number().int().min(16).max(100_000).default(500),
    })
    .prefault({}),
  postgres: z
    .object({
      poolSize: z.number().int().min(1).max(200).default(10),
      /**
       * Writes of one event-loop turn share one transaction (src/store/pg-group-commit.ts); false: one transaction per
       * write. Durability is the same either way: a write is acknowledged only after its COMMIT returned.
       */
      groupCommit: z.boolean().default(true),
      /**
       * Parameterized statements as named prepared statements (src/store/pg-prepared.ts). false for a connection pooler
       * that cannot keep them (PgBouncer in transaction mode before 1.21, or without max_prepared_statements).
       */
      preparedStatements: z.boolean().default(true),
    })
    .prefault({}),
  entra: z
    .object({
      /** The built-in authority's tenant id, applied when the tenant is first created (`--dev` pins it). */
      tenantId: guid.optional(),
      trustedIssuers: z.array(trustedIssuer).default([]),
      /** Lifetime of access tokens from the built-in authority. */
      accessTokenMinutes: z.number().int().min(5).max(1440).default(60),
    })
    .prefault({}),
  /**
   * Throttling of guessable secrets at the token endpoint (client secrets, passwords): on by default (SECURITY.md).
   * A client, a user name or a source address past its free failures is locked out for baseDelayMs × 2^n (capped).
   */
  guessing: z
    .object({
      enabled: z.boolean().default(true),
      freeFailuresPerClient: z.number().int().min(1).max(10_000).default(10),
      freeFailuresPerSource: z.number().int().min(1).max(100_000).default(30),
      baseDelayMs: z.number().int().min(1).max(3_600_000).default(1_000),
      maxDelayMs: z.number().int().min(1).max(86_400_000).default(300_000),
      windowSeconds: z.number().int().min(1).max(86_400).default(900),
      /** Secret hashes computed at once, and waiting beyond them (more: 429 at once). */
      hashConcurrency: z.number().int().min(1).max(64).default(2),
      hashQueueLimit: z.number().int().min(0).max(10_000).default(64),
    })
    .prefault({}),
  /**
   * Data-plane quotas: off by default (load tests), `acs` applies ACS's published limits (security/quotas.ts);
   * `resources` sets the preset of single resources (by id).
   */
  quotas: z
    .object({
      preset: z.enum(["off", "acs"]).default("off"),
      resources: z.record(z.string(), z.enum(["off", "acs"])).default({}),
    })
    .prefault({}),
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
  /** Resources and the ARM-compatible management plane (docs/management.md). */
  management: managementConfigSchema,
  // --- messaging (phone numbers, SMS, e-mail) ---
  phoneNumbers: phoneNumbersConfigSchema.prefault({}),
  sms: smsConfigSchema.prefault({}),
  email: emailConfigSchema.prefault({}),
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
      /** Every process writes its heartbeat (table realtime_replicas) this often (docs/realtime.md). */
      replicaHeartbeatMs: z.number().int().min(50).max(60_000).default(2000),
      /**
       * A replica whose heartbeat is older than this is gone: survivors end its calls (reason serverFailure) and
       * close their records. Keep it several heartbeats long, and longer than a database stall you expect.
       */
      replicaTimeoutMs: z.number().int().min(200).max(600_000).default(10_000),
    })
    .refine((c) => c.replicaTimeoutMs >= 2 * c.replicaHeartbeatMs, {
      message: "replicaTimeoutMs must be at least twice replicaHeartbeatMs",
      path: ["replicaTimeoutMs"],
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
  ["SWITCHBOARD_TLS_HOSTNAMES", (v) => ({ tls: { hostnames: v.split(",").map((h) => h.trim()).filter((h) => h !== "") } })],
  ["SWITCHBOARD_DEV", (v) => ({ dev: isTrue(v) })],
  ["SWITCHBOARD_DEV_ALLOW_REMOTE", (v) => ({ devAllowRemote: isTrue(v) })],
  ["SWITCHBOARD_IN_MEMORY", (v) => ({ inMemory: isTrue(v) })],
  ["SWITCHBOARD_STRICT_API_VERSIONS", (v) => ({ strictApiVersions: isTrue(v) })],
  ["SWITCHBOARD_QUOTAS", (v) => ({ quotas: { preset: v as "acs" } })],
  ["SWITCHBOARD_TRUSTED_PROXIES", (v) => ({ trustedProxies: v.split(",").map((p) => p.trim()).filter((p) => p !== "") })],
  ["SWITCHBOARD_PORT", (v) => ({ port: Number(v) })],
  ["SWITCHBOARD_HTTP_PORT", (v) => ({ httpPort: v === "off" ? null : Number(v) })],
  ["SWITCHBOARD_RESOURCE_ID", (v) => ({ resource: { id: v } })],
  ["SWITCHBOARD_RESOURCE_NAME", (v) => ({ resource: { name: v } })],
  ["SWITCHBOARD_PRIMARY_KEY", (v) => ({ resource: { primaryKey: v } })],
  ["SWITCHBOARD_SECONDARY_KEY", (v) => ({ resource: { secondaryKey: v } })],
  ["SWITCHBOARD_SUBSCRIPTION_ID", (v) => ({ management: { subscriptionId: v } })],
  ["SWITCHBOARD_RESOURCE_DOMAIN", (v) => ({ management: { domain: v } })],
  ["SWITCHBOARD_RESOURCE_PORT_BASE", (v) => ({ management: { resourcePortBase: Number(v) } })],
  ["SWITCHBOARD_LOG_LEVEL", (v) => ({ log: { level: v as "info" } })],
  ["SWITCHBOARD_LOG_FILE", (v) => ({ log: { file: v } })],
  ["SWITCHBOARD_SQLITE_SYNCHRONOUS", (v) => ({ sqlite: { synchronous: v as "FULL" } })],
  ["SWITCHBOARD_SQLITE_ACTIVITY_SYNCHRONOUS", (v) => ({ sqlite: { activitySynchronous: v as "FULL" } })],
  ["SWITCHBOARD_SQLITE_CACHE_SIZE_KIB", (v) => ({ sqlite: { cacheSizeKib: Number(v) } })],
  ["SWITCHBOARD_SQLITE_ACTIVITY_CACHE_SIZE_KIB", (v) => ({ sqlite: { activityCacheSizeKib: Number(v) } })],
  ["SWITCHBOARD_SQLITE_MMAP_SIZE_MIB", (v) => ({ sqlite: { mmapSizeMib: Number(v) } })],
  ["SWITCHBOARD_SQLITE_WAL_AUTOCHECKPOINT", (v) => ({ sqlite: { walAutocheckpointPages: Number(v) } })],
  ["SWITCHBOARD_SQLITE_STATEMENT_CACHE_SIZE", (v) => ({ sqlite: { statementCacheSize: Number(v) } })],
  ["SWITCHBOARD_VERIFIED_TOKEN_CACHE_SIZE", (v) => ({ tokens: { verifiedCacheSize: Number(v) } })],
  ["SWITCHBOARD_IDENTITY_STATE_CACHE_SIZE", (v) => ({ tokens: { identityStateCacheSize: Number(v) } })],
  ["SWITCHBOARD_PG_POOL_SIZE", (v) => ({ postgres: { poolSize: Number(v) } })],
  ["SWITCHBOARD_PG_GROUP_COMMIT", (v) => ({ postgres: { groupCommit: !/^(0|false|off|no)$/i.test(v) } })],
  ["SWITCHBOARD_PG_PREPARED_STATEMENTS", (v) => ({ postgres: { preparedStatements: !/^(0|false|off|no)$/i.test(v) } })],
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
  ["SWITCHBOARD_CALLING_REPLICA_HEARTBEAT_MS", (v) => ({ calling: { replicaHeartbeatMs: Number(v) } })],
  ["SWITCHBOARD_CALLING_REPLICA_TIMEOUT_MS", (v) => ({ calling: { replicaTimeoutMs: Number(v) } })],
];

type Plain = Record<string, unknown>;

function isTrue(v: string): boolean {
  return !/^(0|false|off|no)$/i.test(v);
}

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
      // A relative dataDir in a file means relative to that file (a project's switchboard.json), not to the caller's folder.
      if (typeof fileLayer.dataDir === "string") fileLayer.dataDir = path.resolve(path.dirname(path.resolve(options.file)), fileLayer.dataDir);
    } catch (err) {
      problems.push(`config file ${options.file}: ${(err as Error).message}`);
    }
  }
  const env = options.env ?? {};
  const envLayers = envMapping.filter(([name]) => env[name] !== undefined && env[name] !== "").map(([name, map]) => map(env[name]!) as Plain);
  let merged = mergeLayers(fileLayer, ...envLayers, (options.overrides ?? {}) as Plain);
  // --dev sits just above the defaults: a value pinned in the file, the environment or a flag still wins.
  if (merged.dev === true) merged = mergeLayers(devModeLayer as unknown as Plain, merged);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join(".") || "(root)"}: ${issue.message}`);
  } else if (parsed.data.dev && !parsed.data.devAllowRemote && !isLoopbackHost(parsed.data.host)) {
    problems.push(
      `dev: the development mode uses published keys and is refused on the non-loopback host '${parsed.data.host}'; bind 127.0.0.1, or pass --dev-allow-remote (SWITCHBOARD_DEV_ALLOW_REMOTE=1) on a private network such as a container's`,
    );
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const config = parsed.data;
  config.dataDir = path.resolve(config.dataDir);
  return deepFreeze(config);
}
export type TrustedIssuerConfig = Config["entra"]["trustedIssuers"][number];
