import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import pino from "pino";
import { createSwitchboard, type Switchboard } from "../../src/app.js";
import { loadConfig, type ConfigInput } from "../../src/config/config.js";
import { connectionString, type Resource } from "../../src/resources/resource.js";
import type { Clock } from "../../src/util/clock.js";
import { backendConfig, type BackendName } from "./backends.js";

export interface TestServer {
  server: Switchboard;
  httpsUrl: string;
  httpUrl: string;
  resource: Resource;
  dataDir: string;
  logFile: string;
  /** Connection string for the official SDK clients (https needs the trusted test cert, http allowInsecureConnection). */
  connectionString(scheme?: "https" | "http", key?: "primary" | "secondary"): string;
  /** The resource as the server sees it now (after key regenerations). */
  currentResource(): Resource;
  readLog(): string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  config?: ConfigInput;
  clock?: Clock;
  /** Reuse a data dir (restart tests). */
  dataDir?: string;
  /** Storage backend (default sqlite); postgres gets a fresh schema unless config.databaseUrl is given. */
  backend?: BackendName;
}

/** A real listening server on 127.0.0.1 (random ports) with its own data dir and log file. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), "switchboard-srv-"));
  const logDir = process.env.SWITCHBOARD_TEST_LOG_DIR ?? dataDir;
  const logFile = path.join(logDir, `server-${process.pid}-${randomUUID()}.log`);
  const certFile = process.env.SWITCHBOARD_TEST_TLS_CERT;
  const keyFile = process.env.SWITCHBOARD_TEST_TLS_KEY;
  const backend = options.backend === "postgres" && options.config?.databaseUrl === undefined ? await backendConfig("postgres") : {};
  const config = loadConfig({
    overrides: {
      dataDir,
      ...backend,
      port: 0,
      httpPort: 0,
      invalidationPollMs: 50,
      ...(certFile !== undefined && keyFile !== undefined ? { tls: { certFile, keyFile } } : {}),
      ...options.config,
      log: { level: "info", ...options.config?.log },
    },
  });
  const destination = pino.destination({ dest: logFile, sync: true, mkdir: true });
  const server = await createSwitchboard(config, { logDestination: destination, ...(options.clock ? { clock: options.clock } : {}) });
  const { httpsPort, httpPort } = await server.listen();
  const httpsUrl = `https://127.0.0.1:${httpsPort}`;
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const currentResource = () => server.core.registry.get(server.core.defaultResource.id)!;
  // Every key this server ever had is recorded, so the end-of-run scan can prove none reached a log.
  const secretsFile = path.join(logDir, `secrets-${process.pid}-${randomUUID()}.json`);
  const recordKeys = () => {
    const r = currentResource();
    known.add(r.keys.primary.value);
    known.add(r.keys.secondary.value);
    writeFileSync(secretsFile, JSON.stringify([...known]));
  };
  const known = new Set<string>();
  recordKeys();
  server.core.feed.subscribe(() => setImmediate(recordKeys));
  return {
    server,
    httpsUrl,
    httpUrl,
    resource: currentResource(),
    dataDir,
    logFile,
    currentResource,
    connectionString: (scheme = "https", key = "primary") =>
      connectionString(scheme === "https" ? httpsUrl : httpUrl, currentResource().keys[key].value),
    readLog: () => readFileSync(logFile, "utf8"),
    close: async () => {
      recordKeys();
      await server.close();
    },
  };
}
