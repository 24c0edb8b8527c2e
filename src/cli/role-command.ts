import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { addStoreOptions, printJson, withCore, type StoreOptions } from "./common.js";
import { describeScope, principalIdFor, scopeFor } from "./entra-cli-support.js";

interface AssignOptions extends StoreOptions {
  principal: string;
  role: string;
  resource?: string;
  scope?: string;
  issuer?: string;
}

/** Role definitions and assignments. A running server applies every change within a second. */
export function registerRoleCommand(program: Command): void {
  const role = program.command("role").description("role-based access for Entra ID principals");

  addStoreOptions(role.command("definitions").description("list built-in and custom roles").option("--json", "JSON output")).action(
    async (options: StoreOptions & { json?: boolean }) => {
      await withCore(options, async (core) => {
        const defs = await core.entra.roles.definitions();
        if (options.json === true) return printJson(defs);
        for (const d of defs) {
          process.stdout.write(`${d.name}${d.builtIn ? " (built-in)" : ""}\n  actions: ${d.actions.join(", ") || "-"}${d.notActions.length > 0 ? `\n  notActions: ${d.notActions.join(", ")}` : ""}\n  dataActions: ${d.dataActions.join(", ") || "-"}\n`);
        }
      });
    },
  );

  addStoreOptions(role.command("create").description("create or replace a custom role from a JSON file").requiredOption("--file <file>", "role JSON")).action(
    async (options: StoreOptions & { file: string }) => {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(options.file, "utf8"));
      } catch (err) {
        throw new Error(`${options.file}: ${(err as Error).message}`);
      }
      const { parseCustomRole } = await import("../rbac/role-definitions.js");
      const definition = parseCustomRole(json);
      await withCore(options, async (core) => {
        await core.entra.roles.saveCustomRole(definition);
        process.stdout.write(`role '${definition.name}' saved\n`);
      });
    },
  );

  const withAssignOptions = (c: Command) =>
    addStoreOptions(
      c
        .requiredOption("--principal <principal>", "client id, object id, user name, or an external principal's object id")
        .requiredOption("--role <role>", "role name")
        .option("--issuer <iss>", "a trusted external issuer's `iss`: the principal is that issuer's object id")
        .option("--resource <name>", "one resource (name or id); default: every resource")
        .option("--scope <scope>", "an ARM scope: /subscriptions/{id}, …/resourceGroups/{rg}, or a resource's ARM id"),
    );

  withAssignOptions(role.command("assign").description("assign a role to a principal")).action(async (options: AssignOptions) => {
    await withCore(options, async (core) => {
      const principalId = await principalIdFor(core, options.principal, options.issuer);
      const scope = scopeFor(core, options.resource, options.scope);
      const a = await core.entra.roles.assign(principalId, options.role, scope);
      process.stdout.write(`${a.roleName} assigned to ${principalId} on ${describeScope(core, scope)}\n`);
    });
  });

  withAssignOptions(role.command("remove").description("remove a role assignment")).action(async (options: AssignOptions) => {
    await withCore(options, async (core) => {
      const principalId = await principalIdFor(core, options.principal, options.issuer);
      const scope = scopeFor(core, options.resource, options.scope);
      if (!(await core.entra.roles.remove(principalId, options.role, scope))) {
        throw new Error(`no assignment of '${options.role}' to ${principalId} on ${describeScope(core, scope)}`);
      }
      process.stdout.write(`${options.role} removed from ${principalId} on ${describeScope(core, scope)}\n`);
    });
  });

  addStoreOptions(
    role.command("list").description("list role assignments").option("--principal <principal>", "only this principal").option("--json", "JSON output"),
  ).action(async (options: StoreOptions & { principal?: string; json?: boolean }) => {
    await withCore(options, async (core) => {
      const principalId = options.principal === undefined ? undefined : await principalIdFor(core, options.principal);
      const principals = new Map((await core.entra.principals.list()).map((p) => [p.objectId, p]));
      const rows = (await core.entra.roles.assignments(principalId)).map((a) => ({
        principalId: a.principalId,
        principalName: principals.get(a.principalId)?.name ?? null,
        role: a.roleName,
        scope: a.scope,
      }));
      if (options.json === true) return printJson(rows);
      if (rows.length === 0) return void process.stdout.write("no role assignments\n");
      for (const r of rows) process.stdout.write(`${r.principalName ?? "(external)"} ${r.principalId}  ${r.role}  ${describeScope(core, r.scope)}\n`);
    });
  });
}
