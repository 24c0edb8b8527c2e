import type { Command } from "commander";
import type { OutboxKind, OutboxView } from "../outbox/outbox-repository.js";
import { addStoreOptions, intOption, printJson, withCore, type StoreOptions } from "./common.js";
import { pickResource } from "./keys-command.js";

interface OutboxOptions extends StoreOptions {
  resource?: string;
  allResources?: boolean;
  kind?: string;
  limit?: string;
  json?: boolean;
}

function kindOf(kind: string | undefined): OutboxKind | undefined {
  if (kind === undefined) return undefined;
  if (kind !== "sms" && kind !== "email") throw new Error("--kind must be sms or email");
  return kind;
}

function withCommon(command: Command): Command {
  return addStoreOptions(
    command
      .option("--resource <name>", "resource name or id (default: the default resource)")
      .option("--all-resources", "every resource")
      .option("--kind <kind>", "sms or email"),
  );
}

function summary(m: OutboxView): string {
  const what = m.kind === "email" ? (m.subject ?? "") : (m.text ?? "").replace(/\s+/g, " ").slice(0, 60);
  return `${m.createdAt}  ${m.kind.padEnd(5)}  ${m.id}  ${m.from} -> ${m.to.join(", ")}  ${what}\n`;
}

/** `switchboard outbox`: what the resources "sent" (SMS and e-mail), newest first. */
export function registerOutboxCommand(program: Command): void {
  const outbox = program.command("outbox").description("accepted SMS and e-mail (the local outbox)");
  withCommon(
    outbox.command("list").description("list messages, newest first").option("--limit <n>", "at most n messages (default 100)").option("--json", "JSON array"),
  ).action(async (options: OutboxOptions) => {
    await withCore(options, async (core) => {
      const resourceId = options.allResources === true ? undefined : pickResource(core, options.resource).id;
      const limit = options.limit === undefined ? 100 : intOption(options.limit, "--limit");
      const messages = await core.messaging.outbox.list({ resourceId, kind: kindOf(options.kind), limit });
      if (options.json === true) printJson(messages);
      else process.stdout.write(messages.length === 0 ? "outbox is empty\n" : messages.map(summary).join(""));
    });
  });
  addStoreOptions(
    outbox.command("show <id>").description("one message in full").option("--json", "JSON object"),
  ).action(async (id: string, options: OutboxOptions) => {
    await withCore(options, async (core) => {
      const message = await core.messaging.outbox.get(id);
      if (message === undefined) throw new Error(`no outbox message '${id}'`);
      if (options.json === true) {
        printJson(message);
        return;
      }
      const lines = [
        `id:       ${message.id}`,
        `kind:     ${message.kind}`,
        `resource: ${message.resourceId}`,
        `sent by:  ${message.principal}`,
        `at:       ${message.createdAt}`,
        `from:     ${message.from}`,
        `to:       ${message.to.join(", ")}`,
        ...(message.subject !== undefined ? [`subject:  ${message.subject}`] : []),
        "",
        message.text ?? message.html ?? "",
        "",
      ];
      process.stdout.write(lines.join("\n"));
    });
  });
  withCommon(outbox.command("clear").description("delete messages")).action(async (options: OutboxOptions) => {
    await withCore(options, async (core) => {
      const resourceId = options.allResources === true ? undefined : pickResource(core, options.resource).id;
      const deleted = await core.messaging.outbox.clear(resourceId, kindOf(options.kind));
      process.stdout.write(`deleted ${deleted} message(s)\n`);
    });
  });
}
