import type { Command } from "commander";
import { isUserScope, type UserScope } from "../auth/principal.js";
import { describeTrustedAuth, enableTrustedAuth } from "../trusted-auth/trusted-auth-setup.js";
import { TrustedAuthStore } from "../trusted-auth/trusted-auth-store.js";
import { addStoreOptions, printJson, withCore, type StoreOptions } from "./common.js";
import { authorityHostOf } from "./entra-cli-support.js";
import { pickResource } from "./keys-command.js";

function parseScopes(value: string | undefined): UserScope[] | undefined {
  if (value === undefined) return undefined;
  const scopes = value.split(/[\s,]+/).filter((s) => s !== "");
  const bad = scopes.filter((s) => !isUserScope(s));
  if (scopes.length === 0 || bad.length > 0) throw new Error(`--scopes must list chat, voip, chat.join, chat.join.limited, voip.join (got '${value}')`);
  return scopes as UserScope[];
}

/** The built-in trusted authentication service (the ACS hero sample's API). */
export function registerTrustedAuthCommand(program: Command): void {
  const ta = program.command("trusted-auth").description("the built-in trusted authentication service: Entra users get ACS identities and tokens");

  addStoreOptions(
    ta
      .command("info")
      .description("enable the service for a resource (if it is not yet) and print its base URL, API app and scope")
      .option("--resource <name>", "resource name or id (default: the default resource)")
      .option("--scopes <list>", "scopes of the tokens it hands out (default: chat voip)")
      .option("--endpoint <url>", "base URL clients reach the server at (default: the HTTPS endpoint of this configuration)")
      .option("--external-audience <aud>", "accept user tokens of a trusted external issuer for this audience, e.g. its API app's client id (repeatable; replaces the list)", (v: string, prev: string[] = []) => [...prev, v])
      .option("--json", "one JSON object"),
  ).action(async (options: StoreOptions & { resource?: string; scopes?: string; endpoint?: string; externalAudience?: string[]; json?: boolean }) => {
    await withCore(options, async (core) => {
      const resource = options.resource === undefined ? core.defaultResource : pickResource(core, options.resource);
      const endpoint = authorityHostOf(core, options.endpoint);
      const scopes = parseScopes(options.scopes);
      const settings = await enableTrustedAuth(core, resource, {
        endpoint,
        ...(scopes !== undefined ? { scopes } : {}),
        ...(options.externalAudience !== undefined ? { externalAudiences: options.externalAudience } : {}),
      });
      const info = describeTrustedAuth(core, resource, settings, endpoint);
      if (options.json === true) return printJson({ baseUrl: info.baseUrl, clientId: info.clientId, apiScope: info.apiScope, resource: info.resource });
      process.stdout.write(
        [
          `Trusted authentication service for resource '${info.resource}'`,
          `  base URL:   ${info.baseUrl}   (the hero sample's MinimalClient: set its server address to this)`,
          `  API app:    ${info.clientId}`,
          `  API scope:  ${info.apiScope}`,
          `  authority:  ${endpoint}/${info.tenantId}`,
          `  token scopes: ${info.scopes.join(" ")}`,
          `  external issuers' audiences: ${settings.externalAudiences.join(" ") || "none (built-in authority only)"}`,
          `  sample page:  ${info.baseUrl}/sample`,
          "",
        ].join("\n"),
      );
    });
  });

  addStoreOptions(
    ta
      .command("mappings")
      .description("list Entra user → ACS identity mappings")
      .option("--resource <name>", "only this resource (name or id)")
      .option("--json", "JSON output"),
  ).action(async (options: StoreOptions & { resource?: string; json?: boolean }) => {
    await withCore(options, async (core) => {
      const resourceId = options.resource === undefined ? undefined : pickResource(core, options.resource).id;
      const rows = (await new TrustedAuthStore(core.store, core.clock).list(resourceId)).map((m) => ({
        resource: core.registry.get(m.resourceId)?.name ?? m.resourceId,
        issuer: m.issuer,
        tenantId: m.tenantId,
        objectId: m.objectId,
        acsUserIdentity: m.acsUserIdentity,
        createdOn: new Date(m.createdAt).toISOString(),
      }));
      if (options.json === true) return printJson(rows);
      if (rows.length === 0) return void process.stdout.write("no mappings\n");
      for (const r of rows) process.stdout.write(`${r.resource}  ${r.tenantId}/${r.objectId}  →  ${r.acsUserIdentity}  (${r.createdOn})\n`);
    });
  });
}
