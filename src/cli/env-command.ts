import path from "node:path";
import type { Command } from "commander";
import type { Core } from "../core.js";
import { DEV_EMAIL_SENDER, DEV_PRIMARY_KEY, DEV_RESOURCE_ID, DEV_TENANT_ID } from "../config/dev-mode.js";
import type { Config } from "../config/config.js";
import { managedDomainOf } from "../email/email-domains.js";
import { connectionString } from "../resources/resource.js";
import { endpointHost } from "./banner.js";
import { addStoreOptions, commandConfigFrom, withCore, type StoreOptions } from "./common.js";
import { requirePrincipal } from "./entra-cli-support.js";
import { pickResource } from "./keys-command.js";
import { formatEnv, parseShellFormat } from "./shell-format.js";

interface EnvOptions extends StoreOptions {
  shell?: string;
  resource?: string;
  sp?: string;
  newSecret?: boolean;
  dev?: boolean;
}

/** The connection-string variable of the ACS quickstarts. */
export const CONNECTION_STRING_VAR = "COMMUNICATION_SERVICES_CONNECTION_STRING";

interface EnvFacts {
  config: Config;
  resourceId: string;
  primaryKey: string;
  tenantId: string;
  emailSender: string;
}

function variablesOf(facts: EnvFacts): Array<[string, string]> {
  const { config } = facts;
  const host = endpointHost(config.host);
  const https = `https://${host}:${config.port}/`;
  const certFile = config.tls.certFile !== undefined ? path.resolve(config.tls.certFile) : path.join(config.dataDir, "tls", "cert.pem");
  return [
    [CONNECTION_STRING_VAR, connectionString(https, facts.primaryKey)],
    ...(config.httpPort !== null
      ? ([["COMMUNICATION_SERVICES_HTTP_CONNECTION_STRING", connectionString(`http://${host}:${config.httpPort}/`, facts.primaryKey)]] as Array<[string, string]>)
      : []),
    ["COMMUNICATION_SERVICES_ENDPOINT", https],
    ["COMMUNICATION_SERVICES_RESOURCE_ID", facts.resourceId],
    ["EMAIL_SENDER_ADDRESS", facts.emailSender],
    // Absolute, so it works from any folder (Node reads it when a process starts).
    ["NODE_EXTRA_CA_CERTS", certFile],
    ["AZURE_AUTHORITY_HOST", `https://${host}:${config.port}`],
    ["AZURE_TENANT_ID", facts.tenantId],
  ];
}

async function principalVariables(core: Core, options: EnvOptions): Promise<Array<[string, string]>> {
  if (options.sp === undefined) return [];
  const p = await requirePrincipal(core, options.sp, "service-principal");
  const vars: Array<[string, string]> = [["AZURE_CLIENT_ID", p.clientId!]];
  if (options.newSecret === true) {
    const added = await core.entra.principals.addSecret(p.objectId, null);
    vars.push(["AZURE_CLIENT_SECRET", added.value]);
  }
  return vars;
}

export function registerEnvCommand(program: Command): void {
  addStoreOptions(
    program
      .command("env")
      .description('print the environment for SDK clients: eval "$(switchboard env)"')
      .option("--shell <shell>", "bash (export lines, default), powershell or dotenv")
      .option("--resource <name>", "resource name or id (default: the default resource)")
      .option("--sp <principal>", "add AZURE_CLIENT_ID of this service principal (client id, object id or name)")
      .option("--new-secret", "with --sp: add a new client secret and print it as AZURE_CLIENT_SECRET (secrets are stored hashed)")
      .option("--dev", "the well-known values of `start --dev` (no store needed, works with --in-memory)"),
  ).action(async (options: EnvOptions) => {
    const shell = parseShellFormat(options.shell);
    if (options.newSecret === true && options.sp === undefined) throw new Error("--new-secret needs --sp");
    if (options.dev === true) {
      if (options.sp !== undefined) throw new Error("--sp needs a store; it cannot be combined with --dev");
      const config = commandConfigFrom(options, { dev: true });
      const facts = { config, resourceId: DEV_RESOURCE_ID, primaryKey: DEV_PRIMARY_KEY, tenantId: DEV_TENANT_ID, emailSender: DEV_EMAIL_SENDER };
      return void process.stdout.write(formatEnv(variablesOf(facts), shell));
    }
    await withCore(options, async (core) => {
      const r = pickResource(core, options.resource);
      const facts: EnvFacts = {
        config: core.config,
        resourceId: r.id,
        primaryKey: r.keys.primary.value,
        tenantId: core.entra.keys.tenantId,
        emailSender: `DoNotReply@${managedDomainOf(r.id)}`,
      };
      process.stdout.write(formatEnv([...variablesOf(facts), ...(await principalVariables(core, options))], shell));
    });
  });
}
