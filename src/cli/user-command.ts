import type { Command } from "commander";
import { addStoreOptions, printJson, withCore, type StoreOptions } from "./common.js";
import { requirePrincipal } from "./entra-cli-support.js";

/** Built-in users of the authority: they sign in with the password grant (for the Teams and Entra exchanges). */
export function registerUserCommand(program: Command): void {
  const user = program.command("user").description("built-in users of the Entra ID authority (password grant)");
  addStoreOptions(
    user
      .command("create")
      .description("create a user who signs in with the password grant")
      .requiredOption("--name <name>", "sign-in name (the password grant's username)")
      .requiredOption("--password <password>", "password (at least 8 characters; stored only as a hash)")
      .option("--json", "JSON output"),
  ).action(async (options: StoreOptions & { name: string; password: string; json?: boolean }) => {
    await withCore(options, async (core) => {
      const u = await core.entra.principals.createUser({ name: options.name, password: options.password });
      const view = { name: u.name, objectId: u.objectId, tenantId: u.tenantId };
      if (options.json === true) return printJson(view);
      process.stdout.write(`user '${u.name}' created\n  object id: ${u.objectId}\n  tenant:    ${u.tenantId}\n`);
    });
  });
  addStoreOptions(user.command("list").description("list users").option("--json", "JSON output")).action(
    async (options: StoreOptions & { json?: boolean }) => {
      await withCore(options, async (core) => {
        const rows = (await core.entra.principals.list("user")).map((u) => ({ name: u.name, objectId: u.objectId, enabled: u.enabled }));
        if (options.json === true) return printJson(rows);
        if (rows.length === 0) return void process.stdout.write("no users\n");
        for (const r of rows) process.stdout.write(`${r.name}  object ${r.objectId}  ${r.enabled ? "enabled" : "DISABLED"}\n`);
      });
    },
  );
  for (const verb of ["delete", "disable", "enable"] as const) {
    addStoreOptions(user.command(`${verb} <user>`).description(`${verb} a user (name or object id); takes effect at once`)).action(
      async (ref: string, options: StoreOptions) => {
        await withCore(options, async (core) => {
          const u = await requirePrincipal(core, ref, "user");
          if (verb === "delete") await core.entra.principals.delete(u.objectId);
          else await core.entra.principals.setEnabled(u.objectId, verb === "enable");
          process.stdout.write(`user '${u.name}' ${verb}d\n`);
        });
      },
    );
  }
}
