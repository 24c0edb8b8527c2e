import type { Command } from "commander";
import { addStoreOptions, printJson, withCore, type StoreOptions } from "./common.js";
import { pickResource } from "./keys-command.js";

interface EmailOptions extends StoreOptions {
  resource?: string;
  json?: boolean;
  senders?: string;
}

function withCommon(command: Command): Command {
  return addStoreOptions(command.option("--resource <name>", "resource name or id (default: the default resource)").option("--json", "JSON output"));
}

/** `switchboard email`: the sender domains and addresses a resource may send e-mail from. */
export function registerEmailCommand(program: Command): void {
  const email = program.command("email").description("e-mail sender domains and addresses");
  withCommon(email.command("senders").description("list the allowed sender addresses")).action(async (options: EmailOptions) => {
    await withCore(options, async (core) => {
      const senders = await core.messaging.emailDomains.senders(pickResource(core, options.resource).id);
      if (options.json === true) printJson(senders);
      else process.stdout.write(senders.map((s) => `${s}\n`).join(""));
    });
  });
  const domains = email.command("domains").description("sender domains of a resource");
  withCommon(domains.command("list").description("list the sender domains")).action(async (options: EmailOptions) => {
    await withCore(options, async (core) => {
      const list = await core.messaging.emailDomains.list(pickResource(core, options.resource).id);
      if (options.json === true) printJson(list);
      else process.stdout.write(list.map((d) => `${d.domain}${d.managed ? "  (managed)" : ""}  senders: ${d.senderUsernames.join(", ")}\n`).join(""));
    });
  });
  withCommon(
    domains
      .command("add <domain>")
      .description("add a sender domain (or sender user names to one)")
      .option("--senders <names>", "comma-separated sender user names (default DoNotReply)"),
  ).action(async (domain: string, options: EmailOptions) => {
    await withCore(options, async (core) => {
      const usernames = options.senders?.split(",").map((s) => s.trim()).filter((s) => s !== "");
      const added = await core.messaging.emailDomains.add(pickResource(core, options.resource).id, domain, usernames);
      if (options.json === true) printJson(added);
      else process.stdout.write(`domain ${added.domain}: senders ${added.senderUsernames.map((u) => `${u}@${added.domain}`).join(", ")}\n`);
    });
  });
  withCommon(domains.command("remove <domain>").description("remove an added sender domain")).action(async (domain: string, options: EmailOptions) => {
    await withCore(options, async (core) => {
      const removed = await core.messaging.emailDomains.remove(pickResource(core, options.resource).id, domain);
      if (!removed) throw new Error(`no added domain '${domain}' (the managed domain cannot be removed)`);
      process.stdout.write(`removed ${domain}\n`);
    });
  });
}
