import type { Command } from "commander";
import { addStoreOptions, printJson, withCore, type StoreOptions } from "./common.js";
import { pickResource } from "./keys-command.js";

interface SmsOptions extends StoreOptions {
  resource?: string;
  json?: boolean;
}

function withCommon(command: Command): Command {
  return addStoreOptions(command.option("--resource <name>", "resource name or id (default: the default resource)"));
}

function checkUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("the webhook URL must be http:// or https://");
  return parsed.toString();
}

/** `switchboard sms webhooks`: where a resource's SMS delivery reports (Event Grid events) are POSTed. */
export function registerSmsCommand(program: Command): void {
  const webhooks = program.command("sms").description("SMS settings").command("webhooks").description("delivery-report webhooks");
  withCommon(webhooks.command("list").description("list the resource's stored webhook URLs").option("--json", "JSON array")).action(
    async (options: SmsOptions) => {
      await withCore(options, async (core) => {
        const urls = await core.messaging.sms.storedWebhooks(pickResource(core, options.resource).id);
        if (options.json === true) printJson(urls);
        else process.stdout.write(urls.map((u) => `${u}\n`).join(""));
      });
    },
  );
  withCommon(webhooks.command("add <url>").description("POST delivery reports of the resource to this URL")).action(async (url: string, options: SmsOptions) => {
    await withCore(options, async (core) => {
      const checked = checkUrl(url);
      await core.messaging.sms.addWebhook(pickResource(core, options.resource).id, checked);
      process.stdout.write(`added ${checked}\n`);
    });
  });
  withCommon(webhooks.command("remove <url>").description("stop posting to this URL")).action(async (url: string, options: SmsOptions) => {
    await withCore(options, async (core) => {
      const removed = await core.messaging.sms.removeWebhook(pickResource(core, options.resource).id, checkUrl(url));
      if (!removed) throw new Error(`no webhook '${url}'`);
      process.stdout.write(`removed ${url}\n`);
    });
  });
}
