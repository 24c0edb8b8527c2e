import type { Command } from "commander";
import { connectionString, type Resource } from "../resources/resource.js";
import type { Core } from "../core.js";
import { endpointHost } from "./banner.js";
import { addStoreOptions, printJson, withCore, type StoreOptions } from "./common.js";

interface ResourceOption extends StoreOptions {
  resource?: string;
}

export function pickResource(core: Core, name: string | undefined): Resource {
  if (name === undefined) return core.registry.get(core.defaultResource.id)!;
  const found = core.registry.all().find((r) => r.name === name || r.id === name);
  if (found === undefined) throw new Error(`no resource named '${name}'`);
  return found;
}

/** The resource's HTTPS endpoint as `start` announces it (its own port, or `<name>.<domain>`; docs/management.md). */
function endpointOf(core: Core, r: Resource): string {
  return core.management.endpoints.endpointOf(r, endpointHost(core.config.host));
}

export function registerKeysCommand(program: Command): void {
  const keys = program.command("keys").description("access keys of a resource");
  addStoreOptions(
    keys
      .command("list")
      .description("show the resource's keys and connection strings")
      .option("--resource <name>", "resource name or id (default: the default resource)")
      .option("--json", "one JSON object"),
  ).action(async (options: ResourceOption & { json?: boolean }) => {
    await withCore(options, async (core) => {
      const r = pickResource(core, options.resource);
      const endpoint = endpointOf(core, r);
      const view = {
        resource: r.name,
        resourceId: r.id,
        endpoint,
        primaryKey: r.keys.primary.value,
        secondaryKey: r.keys.secondary.value,
        primaryConnectionString: connectionString(endpoint, r.keys.primary.value),
        secondaryConnectionString: connectionString(endpoint, r.keys.secondary.value),
      };
      if (options.json === true) printJson(view);
      else
        process.stdout.write(
          `resource ${view.resource} (${view.resourceId})\nendpoint ${endpoint}\nprimary   ${view.primaryConnectionString}\nsecondary ${view.secondaryConnectionString}\n`,
        );
    });
  });
  addStoreOptions(
    keys
      .command("regenerate")
      .description("replace a key; a running server stops accepting the old one within a second")
      .option("--primary", "regenerate the primary key")
      .option("--secondary", "regenerate the secondary key")
      .option("--resource <name>", "resource name or id (default: the default resource)")
      .option("--json", "print the new key as JSON"),
  ).action(async (options: ResourceOption & { primary?: boolean; secondary?: boolean; json?: boolean }) => {
    if (options.primary === options.secondary) throw new Error("give exactly one of --primary or --secondary");
    const which = options.primary === true ? "primary" : "secondary";
    await withCore(options, async (core) => {
      const r = pickResource(core, options.resource);
      const updated = await core.resources.regenerateKey(r.id, which);
      const key = updated.keys[which].value;
      const cs = connectionString(endpointOf(core, updated), key);
      if (options.json === true) printJson({ resource: updated.name, key: which, value: key, connectionString: cs });
      else process.stdout.write(`${which} key regenerated\n${cs}\n`);
    });
  });
}
