import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import type { Core } from "../core.js";
import type { AppRegistration } from "../idp/signin/app-registrations.js";
import { addStoreOptions, printJson, withCore, type StoreOptions } from "./common.js";
import { formatEnv } from "./shell-format.js";
import { authorityHostOf, describeScope, expiryFrom, requirePrincipal, scopeFor } from "./entra-cli-support.js";

interface CreateOptions extends StoreOptions {
  name: string;
  role?: string;
  resource?: string;
  cert?: boolean;
  certOut?: string;
  expiresInDays?: string;
  authorityHost?: string;
  json?: boolean;
  redirectUri?: string[];
  public?: boolean;
  exposeScope?: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** What `sp create --json` prints (the contract scripts read). */
export interface SpCreateOutput {
  tenantId: string;
  clientId: string;
  objectId: string;
  clientSecret?: string;
  certificatePath?: string;
  authorityHost: string;
  /** Apps users sign in to (--redirect-uri, --public, --expose-scope). */
  redirectUris?: string[];
  publicClient?: boolean;
  exposedScopes?: string[];
}

function writeCertificate(core: Core, clientId: string, pem: string, out: string | undefined): string {
  const file = path.resolve(out ?? path.join(core.config.dataDir, "certs", `${clientId}.pem`));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, pem, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** Saves the sign-in settings given to `sp create`, if any. */
async function registerApp(core: Core, clientId: string, options: CreateOptions): Promise<AppRegistration | undefined> {
  if (options.redirectUri === undefined && options.public !== true && options.exposeScope === undefined) return undefined;
  return core.entra.signin.apps.save({
    clientId,
    publicClient: options.public === true,
    redirectUris: options.redirectUri ?? [],
    exposedScopes: options.exposeScope ?? [],
  });
}

function describeApp(app: AppRegistration): string[] {
  return [
    `  client type:   ${app.publicClient ? "public (no secret, PKCE required)" : "confidential"}`,
    ...app.redirectUris.map((u) => `  redirect URI:  ${u}`),
    ...app.exposedScopes.map((s) => `  exposed scope: api://${app.clientId}/${s}`),
  ];
}

export function registerSpCommand(program: Command): void {
  const sp = program.command("sp").description("service principals of the built-in Entra ID authority");

  addStoreOptions(
    sp
      .command("create")
      .description("register a service principal; prints its credentials and the AZURE_* environment for DefaultAzureCredential")
      .requiredOption("--name <name>", "display name")
      .option("--role <role>", "assign this role (e.g. Contributor)")
      .option("--resource <name>", "scope of --role: one resource (default: every resource)")
      .option("--cert", "a certificate credential (written to a PEM file) instead of a client secret")
      .option("--cert-out <file>", "where to write the certificate and its private key (default: <data-dir>/certs/<clientId>.pem)")
      .option("--expires-in-days <n>", "the client secret expires after n days (default: never)")
      .option("--authority-host <url>", "authority host to print (default: the HTTPS endpoint of this configuration)")
      .option("--redirect-uri <uri>", "users sign in to this app and are sent back to this URI (repeatable)", collect)
      .option("--public", "a public client (SPA, CLI): no secret; PKCE is required")
      .option("--expose-scope <name>", "make api://<clientId>/<name> requestable, e.g. access_as_user (repeatable)", collect)
      .option("--json", "one JSON object"),
  ).action(async (options: CreateOptions) => {
    await withCore(options, async (core) => {
      const scope = options.role === undefined ? undefined : scopeFor(core, options.resource);
      if (options.role !== undefined && (await core.entra.roles.findDefinition(options.role)) === undefined) {
        throw new Error(`no role named '${options.role}' (see: switchboard role definitions)`);
      }
      const created = await core.entra.principals.createServicePrincipal({
        name: options.name,
        certificate: options.cert === true,
        secretExpiresAt: expiryFrom(core, options.expiresInDays),
        publicClient: options.public === true,
      });
      const p = created.principal;
      if (options.role !== undefined) await core.entra.roles.assign(p.objectId, options.role, scope!);
      const app = await registerApp(core, p.clientId!, options);
      const certificatePath =
        created.certificate === undefined
          ? undefined
          : writeCertificate(core, p.clientId!, `${created.certificate.privateKeyPem.trim()}\n${created.certificate.certificatePem.trim()}\n`, options.certOut);
      const output: SpCreateOutput = {
        tenantId: p.tenantId,
        clientId: p.clientId!,
        objectId: p.objectId,
        ...(created.secret !== undefined ? { clientSecret: created.secret.value } : {}),
        ...(certificatePath !== undefined ? { certificatePath } : {}),
        authorityHost: authorityHostOf(core, options.authorityHost),
        ...(app !== undefined ? { redirectUris: app.redirectUris, publicClient: app.publicClient, exposedScopes: app.exposedScopes } : {}),
      };
      if (options.json === true) return printJson(output);
      const lines = [
        `Service principal '${p.name}' created.`,
        `  tenant:        ${output.tenantId}`,
        `  client id:     ${output.clientId}`,
        `  object id:     ${output.objectId}`,
        ...(output.clientSecret !== undefined ? [`  client secret: ${output.clientSecret}  (shown once: only its hash is stored)`] : []),
        ...(certificatePath !== undefined ? [`  certificate:   ${certificatePath}`] : []),
        ...(options.role !== undefined ? [`  role:          ${options.role} on ${describeScope(core, scope!)}`] : []),
        ...(app !== undefined ? describeApp(app) : []),
        "",
        "Environment for DefaultAzureCredential (with { disableInstanceDiscovery: true }):",
        formatEnv(
          [
            ["AZURE_TENANT_ID", output.tenantId],
            ["AZURE_CLIENT_ID", output.clientId],
            output.clientSecret !== undefined ? ["AZURE_CLIENT_SECRET", output.clientSecret] : ["AZURE_CLIENT_CERTIFICATE_PATH", certificatePath!],
            ["AZURE_AUTHORITY_HOST", output.authorityHost],
          ],
          "bash",
        ),
      ];
      process.stdout.write(lines.join("\n"));
    });
  });

  addStoreOptions(
    sp
      .command("update <principal>")
      .description("change how users sign in to an app: redirect URIs, public client, exposed scopes")
      .option("--redirect-uri <uri>", "replace the redirect URIs with these (repeatable)", collect)
      .option("--public", "a public client (no secret; PKCE required)")
      .option("--confidential", "a confidential client (uses its secret or certificate)")
      .option("--expose-scope <name>", "replace the exposed scopes with these (repeatable)", collect)
      .option("--json", "JSON output"),
  ).action(async (ref: string, options: StoreOptions & { redirectUri?: string[]; public?: boolean; confidential?: boolean; exposeScope?: string[]; json?: boolean }) => {
    await withCore(options, async (core) => {
      if (options.public === true && options.confidential === true) throw new Error("--public and --confidential exclude each other");
      const p = await requirePrincipal(core, ref, "service-principal");
      const current = await core.entra.signin.apps.get(p.clientId!);
      const app = await core.entra.signin.apps.save({
        clientId: p.clientId!,
        publicClient: options.public === true ? true : options.confidential === true ? false : (current?.publicClient ?? false),
        redirectUris: options.redirectUri ?? current?.redirectUris ?? [],
        exposedScopes: options.exposeScope ?? current?.exposedScopes ?? [],
      });
      if (options.json === true) return printJson({ clientId: app.clientId, redirectUris: app.redirectUris, publicClient: app.publicClient, exposedScopes: app.exposedScopes });
      process.stdout.write([`app '${p.name}' updated`, ...describeApp(app), ""].join("\n"));
    });
  });

  addStoreOptions(sp.command("list").description("list service principals").option("--json", "JSON output")).action(
    async (options: StoreOptions & { json?: boolean }) => {
      await withCore(options, async (core) => {
        const principals = await core.entra.principals.list("service-principal");
        const assignments = await core.entra.roles.assignments();
        const rows = await Promise.all(
          principals.map(async (p) => ({
            name: p.name,
            clientId: p.clientId,
            objectId: p.objectId,
            enabled: p.enabled,
            credential: p.certificatePem !== null ? "certificate" : "secret",
            secrets: (await core.entra.principals.listSecrets(p.objectId)).map((s) => ({
              id: s.id,
              expiresOn: s.expiresAt === null ? null : new Date(s.expiresAt).toISOString(),
            })),
            roles: assignments.filter((a) => a.principalId === p.objectId).map((a) => ({ role: a.roleName, scope: a.scope })),
          })),
        );
        if (options.json === true) return printJson(rows);
        if (rows.length === 0) return void process.stdout.write("no service principals\n");
        for (const r of rows) {
          const roles = r.roles.map((a) => `${a.role}@${a.scope}`).join(", ") || "no roles";
          process.stdout.write(`${r.name}  client ${r.clientId}  object ${r.objectId}  ${r.enabled ? "enabled" : "DISABLED"}  ${r.credential}  ${roles}\n`);
        }
      });
    },
  );

  for (const [verb, description] of [
    ["delete", "delete a service principal with its secrets and role assignments; its tokens stop working at once"],
    ["disable", "disable a service principal; its tokens are refused at once"],
    ["enable", "enable a disabled service principal"],
  ] as const) {
    addStoreOptions(sp.command(`${verb} <principal>`).description(`${description} (client id, object id or name)`)).action(
      async (ref: string, options: StoreOptions) => {
        await withCore(options, async (core) => {
          const p = await requirePrincipal(core, ref, "service-principal");
          if (verb === "delete") await core.entra.principals.delete(p.objectId);
          else await core.entra.principals.setEnabled(p.objectId, verb === "enable");
          process.stdout.write(`service principal '${p.name}' ${verb}d\n`);
        });
      },
    );
  }

  const secret = sp.command("secret").description("client secrets of a service principal (several may be valid at once)");
  addStoreOptions(
    secret
      .command("add <principal>")
      .description("add a client secret (shown once)")
      .option("--expires-in-days <n>", "expires after n days (default: never)")
      .option("--json", "JSON output"),
  ).action(async (ref: string, options: StoreOptions & { expiresInDays?: string; json?: boolean }) => {
    await withCore(options, async (core) => {
      const p = await requirePrincipal(core, ref, "service-principal");
      const added = await core.entra.principals.addSecret(p.objectId, expiryFrom(core, options.expiresInDays));
      const expiresOn = added.expiresAt === null ? null : new Date(added.expiresAt).toISOString();
      if (options.json === true) return printJson({ clientId: p.clientId, secretId: added.id, clientSecret: added.value, expiresOn });
      process.stdout.write(`secret ${added.id} added${expiresOn === null ? "" : ` (expires ${expiresOn})`}\nAZURE_CLIENT_SECRET=${added.value}\n`);
    });
  });
  addStoreOptions(secret.command("remove <principal> <secretId>").description("remove a client secret")).action(
    async (ref: string, secretId: string, options: StoreOptions) => {
      await withCore(options, async (core) => {
        const p = await requirePrincipal(core, ref, "service-principal");
        if (!(await core.entra.principals.removeSecret(p.objectId, secretId))) throw new Error(`no secret '${secretId}' on '${p.name}'`);
        process.stdout.write(`secret ${secretId} removed\n`);
      });
    },
  );
  addStoreOptions(secret.command("list <principal>").description("list secret ids and expiry (never the values)").option("--json", "JSON output")).action(
    async (ref: string, options: StoreOptions & { json?: boolean }) => {
      await withCore(options, async (core) => {
        const p = await requirePrincipal(core, ref, "service-principal");
        const rows = (await core.entra.principals.listSecrets(p.objectId)).map((s) => ({
          id: s.id,
          createdOn: new Date(s.createdAt).toISOString(),
          expiresOn: s.expiresAt === null ? null : new Date(s.expiresAt).toISOString(),
        }));
        if (options.json === true) return printJson(rows);
        for (const r of rows) process.stdout.write(`${r.id}  created ${r.createdOn}  ${r.expiresOn === null ? "no expiry" : `expires ${r.expiresOn}`}\n`);
      });
    },
  );
}
