import type { Command } from "commander";
import type { ActivityFields } from "../activity/activity-event.js";
import type { Core } from "../core.js";
import type { Principal } from "../auth/principal.js";
import { checkLifetime, checkScopes } from "../identity/identity-service.js";
import { addStoreOptions, intOption, printJson, withCore, type StoreOptions } from "./common.js";
import { pickResource } from "./keys-command.js";
import type { Resource } from "../resources/resource.js";

const OPERATOR: Principal = { kind: "operator", name: "cli" };

/** The CLI acts as the operator; what it does to an identity is in the identity's record like the API's operations. */
function record(core: Core, resource: Resource, operation: string, identity: string, fields?: ActivityFields): void {
  core.activity.record({ operation, resourceId: resource.id, principal: OPERATOR, subjects: [identity], ...(fields !== undefined ? { fields } : {}) });
}

interface IdentityOptions extends StoreOptions {
  resource?: string;
  scopes?: string;
  expiresIn?: string;
  json?: boolean;
}

function scopesOf(options: IdentityOptions) {
  return checkScopes((options.scopes ?? "").split(",").map((s) => s.trim()).filter((s) => s !== ""));
}

function withCommon(command: Command): Command {
  return addStoreOptions(command.option("--resource <name>", "resource name or id (default: the default resource)").option("--json", "JSON output"));
}

export function registerIdentityCommand(program: Command): void {
  const identity = program.command("identity").description("communication identities and their tokens, for manual use");
  withCommon(
    identity
      .command("list")
      .description("a resource's identities, oldest first, one page at a time")
      .option("--limit <n>", "identities per page, 1-1000 (default 100)")
      .option("--after <id>", "continue after this identity (the `next` of the previous page)"),
  ).action(async (options: IdentityOptions & { limit?: string; after?: string }) => {
    const limit = options.limit === undefined ? 100 : intOption(options.limit, "--limit");
    if (limit < 1 || limit > 1000) throw new Error(`--limit must be from 1 to 1000, got '${options.limit}'`);
    await withCore(options, async (core) => {
      const r = pickResource(core, options.resource);
      const page = await core.identityRepository.list(r.id, { limit, ...(options.after !== undefined ? { after: options.after } : {}) });
      const rows = page.identities.map((i) => ({
        id: i.id,
        createdOn: new Date(i.createdAt).toISOString(),
        tokensRevokedOn: i.revokedAt === null ? null : new Date(i.revokedAt).toISOString(),
      }));
      if (options.json === true) return printJson({ value: rows, ...(page.next !== undefined ? { next: page.next } : {}) });
      if (rows.length === 0) return void process.stdout.write("no identities\n");
      for (const row of rows) process.stdout.write(`${row.createdOn}  ${row.id}${row.tokensRevokedOn === null ? "" : `  (tokens revoked ${row.tokensRevokedOn})`}\n`);
      if (page.next !== undefined) process.stdout.write(`more: switchboard identity list --after ${page.next}\n`);
    });
  });
  withCommon(
    identity
      .command("create")
      .description("create an identity, optionally with a token")
      .option("--scopes <list>", "comma-separated scopes for a token (chat,voip,chat.join,chat.join.limited,voip.join)")
      .option("--expires-in <minutes>", "token lifetime, 60-1440 (default 1440)"),
  ).action(async (options: IdentityOptions) => {
    await withCore(options, async (core) => {
      const r = pickResource(core, options.resource);
      const created = await core.identities.create(
        r,
        OPERATOR,
        options.scopes === undefined
          ? {}
          : { scopes: scopesOf(options), lifetimeMinutes: checkLifetime(options.expiresIn === undefined ? undefined : intOption(options.expiresIn, "--expires-in")) },
      );
      record(core, r, "identity.create", created.id, created.accessToken ? { scopes: scopesOf(options), expiresOn: created.accessToken.expiresOn } : undefined);
      const out = { id: created.id, ...(created.accessToken ? { token: created.accessToken.token, expiresOn: created.accessToken.expiresOn } : {}) };
      if (options.json === true) printJson(out);
      else process.stdout.write(`${out.id}\n${out.token !== undefined ? `${out.token}\nexpires ${out.expiresOn}\n` : ""}`);
    });
  });
  withCommon(
    identity
      .command("token <id>")
      .description("issue a user access token")
      .requiredOption("--scopes <list>", "comma-separated scopes")
      .option("--expires-in <minutes>", "token lifetime, 60-1440 (default 1440)"),
  ).action(async (id: string, options: IdentityOptions) => {
    await withCore(options, async (core) => {
      const r = pickResource(core, options.resource);
      const minutes = checkLifetime(options.expiresIn === undefined ? undefined : intOption(options.expiresIn, "--expires-in"));
      const scopes = scopesOf(options);
      const issued = await core.identities.issueToken(r, OPERATOR, id, scopes, minutes);
      record(core, r, "identity.issueAccessToken", id, { scopes, expiresOn: issued.expiresOn });
      if (options.json === true) printJson({ token: issued.token, expiresOn: issued.expiresOn });
      else process.stdout.write(`${issued.token}\nexpires ${issued.expiresOn}\n`);
    });
  });
  withCommon(identity.command("revoke <id>").description("revoke every token issued to the identity so far")).action(
    async (id: string, options: IdentityOptions) => {
      await withCore(options, async (core) => {
        const r = pickResource(core, options.resource);
        await core.identities.revokeTokens(r, id);
        record(core, r, "identity.revokeAccessTokens", id);
        process.stdout.write(`revoked tokens of ${id}\n`);
      });
    },
  );
  withCommon(identity.command("delete <id>").description("delete the identity (its tokens stop working)")).action(
    async (id: string, options: IdentityOptions) => {
      await withCore(options, async (core) => {
        const r = pickResource(core, options.resource);
        await core.identities.delete(r, id);
        record(core, r, "identity.delete", id);
        process.stdout.write(`deleted ${id}\n`);
      });
    },
  );
}
