import type { Command } from "commander";
import { addStoreOptions, printJson, withCore, type StoreOptions } from "./common.js";
import { pickResource } from "./keys-command.js";
import { resourceView, type ResourceView } from "./resource-view.js";

interface CreateOptions extends StoreOptions {
  resourceGroup?: string;
  dataLocation?: string;
  json?: boolean;
}

function printResource(v: ResourceView): void {
  process.stdout.write(
    [
      `resource ${v.name} (${v.immutableResourceId})`,
      `  resource group  ${v.resourceGroup}`,
      `  ARM id          ${v.armId}`,
      `  endpoint        ${v.endpoint}`,
      `  data location   ${v.dataLocation}`,
      `  primary         ${v.primaryConnectionString}`,
      `  secondary       ${v.secondaryConnectionString}`,
      "",
    ].join("\n"),
  );
}

/** Communication Services resources of this server (the same operations as the ARM API, for the operator). */
export function registerResourceCommand(program: Command): void {
  const resource = program.command("resource").description("Communication Services resources (each with its own endpoint and keys)");

  addStoreOptions(
    resource
      .command("create")
      .description("create a resource; a running server opens its endpoint within a second")
      .argument("<name>", "1–63 letters, digits, '-' or '_'; unique on this server")
      .option("--resource-group <rg>", "its resource group (created implicitly)")
      .option("--data-location <location>", "its dataLocation")
      .option("--json", "JSON output"),
  ).action(async (name: string, options: CreateOptions) => {
    await withCore(options, async (core) => {
      const created = await core.management.services.create(options.resourceGroup ?? core.config.management.defaultResourceGroup, name, {
        dataLocation: options.dataLocation ?? core.config.management.dataLocation,
      });
      const view = resourceView(core, created);
      if (options.json === true) printJson(view);
      else printResource(view);
    });
  });

  addStoreOptions(resource.command("list").description("list every resource").option("--json", "JSON output")).action(
    async (options: StoreOptions & { json?: boolean }) => {
      await withCore(options, async (core) => {
        const views = core.management.services.all().map((r) => resourceView(core, r));
        if (options.json === true) return printJson(views);
        for (const v of views) process.stdout.write(`${v.name}  ${v.resourceGroup}  ${v.endpoint}  ${v.immutableResourceId}\n`);
      });
    },
  );

  addStoreOptions(resource.command("show").description("one resource with its connection strings").argument("<name>", "name or immutable id").option("--json", "JSON output")).action(
    async (name: string, options: StoreOptions & { json?: boolean }) => {
      await withCore(options, async (core) => {
        const view = resourceView(core, pickResource(core, name));
        if (options.json === true) printJson(view);
        else printResource(view);
      });
    },
  );

  addStoreOptions(
    resource.command("delete").description("delete a resource and everything stored under it; its keys and tokens stop working").argument("<name>", "name or immutable id"),
  ).action(async (name: string, options: StoreOptions) => {
    await withCore(options, async (core) => {
      const r = pickResource(core, name);
      await core.management.services.delete(r);
      process.stdout.write(`resource ${r.name} (${r.id}) deleted\n`);
    });
  });
}
