import path from "node:path";
import type { Command } from "commander";
import type { Config } from "../config/config.js";
import type { Switchboard } from "../app.js";
import { managedDomainOf } from "../email/email-domains.js";
import { renderResourcesBanner } from "./resource-view.js";
import { renderBanner } from "./banner.js";
import { addStoreOptions, configFrom, intOption, type StoreOptions } from "./common.js";

interface StartOptions extends StoreOptions {
  inMemory?: boolean;
  host?: string;
  port?: string;
  httpPort?: string;
  tlsCert?: string;
  tlsKey?: string;
  smtpUrl?: string;
  dev?: boolean;
  devAllowRemote?: boolean;
  strictApiVersions?: boolean;
}

/** The `switchboard env` line the banner suggests: --dev needs no store; otherwise the same store as this server. */
function envCommandFor(config: Config): string | undefined {
  if (config.dev) return "switchboard env --dev";
  if (config.inMemory) return undefined;
  if (config.databaseUrl !== undefined) return "switchboard env --database-url <the same URL>";
  return config.dataDir === path.resolve(".switchboard") ? "switchboard env" : `switchboard env --data-dir ${config.dataDir}`;
}

export function registerStartCommand(program: Command): void {
  addStoreOptions(
    program
      .command("start")
      .description("run the server (HTTPS and HTTP listeners)")
      .option("--in-memory", "keep all state in memory (nothing survives the process; CLI commands cannot reach it)")
      .option("--dev", "well-known development mode: fixed, published resource id, keys and tenant (INSECURE, loopback only)")
      .option("--dev-allow-remote", "allow --dev on a non-loopback --host (a container's private network)")
      .option("--strict-api-versions", "refuse api-versions this server does not know (default: accept with a warning)")
      .option("--host <host>", "address to bind (default 127.0.0.1)")
      .option("--port <port>", "HTTPS port (default 8443)")
      .option("--http-port <port>", "HTTP port (default 8080; 'off' disables it)")
      .option("--tls-cert <file>", "PEM certificate instead of the generated one")
      .option("--tls-key <file>", "PEM private key for --tls-cert")
      .option("--smtp-url <url>", "relay accepted e-mail to this SMTP server (smtp://[user:pass@]host:port, smtps://…)"),
  ).action(async (options: StartOptions) => {
    const config = configFrom(options, {
      ...(options.inMemory === true ? { inMemory: true } : {}),
      ...(options.dev === true ? { dev: true } : {}),
      ...(options.devAllowRemote === true ? { devAllowRemote: true } : {}),
      ...(options.strictApiVersions === true ? { strictApiVersions: true } : {}),
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: intOption(options.port, "--port") } : {}),
      ...(options.httpPort !== undefined ? { httpPort: options.httpPort === "off" ? null : intOption(options.httpPort, "--http-port") } : {}),
      ...(options.tlsCert !== undefined || options.tlsKey !== undefined ? { tls: { certFile: options.tlsCert, keyFile: options.tlsKey } } : {}),
      ...(options.smtpUrl !== undefined ? { email: { smtpUrl: options.smtpUrl } } : {}),
    });
    // Signals are handled from the first moment, so a stop during start-up is graceful too.
    let server: Switchboard | undefined;
    let closing = false;
    const shutdown = (signal: string) => {
      if (closing) return;
      closing = true;
      process.stdout.write(`\n${signal}: shutting down\n`);
      setTimeout(() => process.exit(1), 10_000).unref();
      (server?.close() ?? Promise.resolve()).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    process.on("SIGINT", () => shutdown("SIGINT"));

    const { createSwitchboard } = await import("../app.js");
    server = await createSwitchboard(config);
    const { httpsPort, httpPort } = await server.listen();
    if (closing) return;
    process.stdout.write(
      renderBanner({
        host: config.host,
        httpsPort,
        httpPort,
        certPath: server.tls.certPath,
        resource: server.core.registry.get(server.core.defaultResource.id) ?? server.core.defaultResource,
        entraTenantId: server.core.entra.keys.tenantId,
        inMemory: config.inMemory,
        dev: config.dev,
        emailSender: `DoNotReply@${managedDomainOf(server.core.defaultResource.id)}`,
        ...(envCommandFor(config) !== undefined ? { envCommand: envCommandFor(config)! } : {}),
        storeDescription: config.databaseUrl !== undefined ? "PostgreSQL" : config.inMemory ? "SQLite (in memory)" : `SQLite ${config.dataDir}/switchboard.db (activity record: activity.db)`,
      }) + renderResourcesBanner(server.core, httpsPort),
    );
  });
}
