import type { Command } from "commander";
import type { Core } from "../core.js";
import { APP_SERVICE_PATH } from "../idp/managed-identity/managed-identity-routes.js";
import { addStoreOptions, printJson, withCore, type StoreOptions } from "./common.js";
import { authorityHostOf, describeScope, scopeFor } from "./entra-cli-support.js";

interface MiCreateOptions extends StoreOptions {
  name: string;
  role?: string;
  scope?: string;
  workload?: string;
  endpoint?: string;
  json?: boolean;
}

/** What `mi create --json` prints. `identityHeader` is null when the identity joined an existing workload. */
export interface MiCreateOutput {
  clientId: string;
  principalId: string;
  workload: string;
  identityEndpoint: string;
  identityHeader: string | null;
  /** AZURE_POD_IDENTITY_AUTHORITY_HOST for the IMDS protocol (null like identityHeader). */
  imdsAuthorityHost: string | null;
}

function environment(core: Core, created: { clientId: string; principalId: string; workload: string; identityHeader?: string }, endpoint?: string): MiCreateOutput {
  const base = authorityHostOf(core, endpoint);
  return {
    clientId: created.clientId,
    principalId: created.principalId,
    workload: created.workload,
    identityEndpoint: `${base}${APP_SERVICE_PATH}`,
    identityHeader: created.identityHeader ?? null,
    imdsAuthorityHost: created.identityHeader === undefined ? null : `${base}/mi/${created.identityHeader}`,
  };
}

export function registerMiCommand(program: Command): void {
  const mi = program.command("mi").description("managed identities for workloads beside the server (App Service and IMDS protocols)");

  addStoreOptions(
    mi
      .command("create")
      .description("create a managed identity; prints the environment a workload needs (shown once)")
      .requiredOption("--name <name>", "display name")
      .option("--role <role>", "assign this role (e.g. Contributor)")
      .option("--scope <resource>", "scope of --role: one resource, by name or id (default: every resource)")
      .option("--workload <name>", "add the identity to an existing workload (it keeps its header; select with client_id)")
      .option("--endpoint <url>", "base URL the workload reaches the server at (default: the HTTPS endpoint of this configuration)")
      .option("--json", "one JSON object"),
  ).action(async (options: MiCreateOptions) => {
    await withCore(options, async (core) => {
      const scope = options.role === undefined ? undefined : scopeFor(core, options.scope);
      if (options.role !== undefined && (await core.entra.roles.findDefinition(options.role)) === undefined) {
        throw new Error(`no role named '${options.role}' (see: switchboard role definitions)`);
      }
      const created = await core.entra.managedIdentities.create({ name: options.name, ...(options.workload !== undefined ? { workload: options.workload } : {}) });
      if (options.role !== undefined) await core.entra.roles.assign(created.principalId, options.role, scope!);
      const out = environment(core, created, options.endpoint);
      if (options.json === true) return printJson(out);
      const lines = [
        `Managed identity '${options.name}' created (workload '${out.workload}').`,
        `  client id:    ${out.clientId}`,
        `  principal id: ${out.principalId}`,
        ...(options.role !== undefined ? [`  role:         ${options.role} on ${describeScope(core, scope!)}`] : []),
        "",
      ];
      if (out.identityHeader === null) {
        lines.push(
          `The workload '${out.workload}' keeps its identity header; select this identity with its client id:`,
          `  new ManagedIdentityCredential({ clientId: "${out.clientId}" })`,
          "",
        );
      } else {
        lines.push(
          "App Service protocol (ManagedIdentityCredential, DefaultAzureCredential); the header is shown once:",
          `export IDENTITY_ENDPOINT=${out.identityEndpoint}`,
          `export IDENTITY_HEADER=${out.identityHeader}`,
          "",
          "or the IMDS protocol:",
          `export AZURE_POD_IDENTITY_AUTHORITY_HOST=${out.imdsAuthorityHost}`,
          "",
          "docker-compose (serve with `switchboard start --host 0.0.0.0`; create the identity with --endpoint set to the",
          "address containers reach the server at; mount the server's TLS certificate into the container):",
          "    environment:",
          `      IDENTITY_ENDPOINT: ${out.identityEndpoint}`,
          `      IDENTITY_HEADER: ${out.identityHeader}`,
          "      NODE_EXTRA_CA_CERTS: /certs/switchboard.pem",
          "",
        );
      }
      process.stdout.write(lines.join("\n"));
    });
  });

  addStoreOptions(mi.command("list").description("list managed identities and their workloads").option("--json", "JSON output")).action(
    async (options: StoreOptions & { json?: boolean }) => {
      await withCore(options, async (core) => {
        const rows = await core.entra.managedIdentities.list();
        const assignments = await core.entra.roles.assignments();
        const out = rows.map((r) => ({
          name: r.name,
          clientId: r.clientId,
          principalId: r.principalId,
          workload: r.workload,
          roles: assignments.filter((a) => a.principalId === r.principalId).map((a) => ({ role: a.roleName, scope: a.scope })),
        }));
        if (options.json === true) return printJson(out);
        if (out.length === 0) return void process.stdout.write("no managed identities\n");
        for (const r of out) {
          const roles = r.roles.map((a) => `${a.role}@${a.scope}`).join(", ") || "no roles";
          process.stdout.write(`${r.name}  client ${r.clientId}  principal ${r.principalId}  workload ${r.workload}  ${roles}\n`);
        }
      });
    },
  );

  addStoreOptions(mi.command("delete <identity>").description("delete a managed identity (name, client id or principal id); its tokens stop working at once")).action(
    async (ref: string, options: StoreOptions) => {
      await withCore(options, async (core) => {
        const deleted = await core.entra.managedIdentities.delete(ref);
        if (deleted === undefined) throw new Error(`no managed identity '${ref}'`);
        process.stdout.write(`managed identity '${deleted.name}' deleted\n`);
      });
    },
  );
}
