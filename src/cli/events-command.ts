import type { Command } from "commander";
import type { SubscriptionView } from "../events/subscription-service.js";
import { addStoreOptions, intOption, printJson, withCore, type StoreOptions } from "./common.js";
import { pickResource } from "./keys-command.js";

interface EventsOptions extends StoreOptions {
  resource?: string;
  json?: boolean;
  endpoint?: string;
  types?: string;
  schema?: string;
  limit?: string;
}

function withResource(command: Command): Command {
  return addStoreOptions(command.option("--resource <name>", "resource name or id (default: the default resource)").option("--json", "JSON output"));
}

function line(s: SubscriptionView): string {
  return `${s.id}  ${s.status.padEnd(7)}  ${s.schema.padEnd(11)}  ${s.endpoint}  ${s.types?.join(",") ?? "(all types)"}${s.statusDetail !== undefined ? `  (${s.statusDetail})` : ""}\n`;
}

/**
 * `switchboard events`: Event Grid subscriptions of a resource (webhook handshake at subscribe), and the
 * dead-lettered events. `switchboard sms receive` simulates an inbound SMS (raises SMSReceived).
 */
export function registerEventsCommand(program: Command): void {
  const events = program.command("events").description("Event Grid event subscriptions (webhooks)");
  withResource(
    events
      .command("subscribe")
      .description("subscribe a webhook; active once it passes the Event Grid (or CloudEvents) validation handshake")
      .requiredOption("--endpoint <url>", "webhook URL (loopback, or a host in events.allowedHosts)")
      .option("--types <list>", "comma-separated event types (default: all)")
      .option("--schema <schema>", "eventgrid (default) or cloudevents"),
  ).action(async (options: EventsOptions) => {
    await withCore(options, async (core) => {
      const sub = await core.events.subscriptions.subscribe(pickResource(core, options.resource), {
        endpoint: options.endpoint!,
        types: options.types?.split(","),
        schema: options.schema,
      });
      if (options.json === true) printJson({ id: sub.id, status: sub.status, ...(sub.statusDetail !== undefined ? { statusDetail: sub.statusDetail } : {}) });
      else process.stdout.write(line(sub));
      if (sub.status !== "active") process.exitCode = 1;
    });
  });
  withResource(events.command("list").description("the resource's subscriptions")).action(async (options: EventsOptions) => {
    await withCore(options, async (core) => {
      const subs = await core.events.subscriptions.list(pickResource(core, options.resource).id);
      if (options.json === true) printJson(subs);
      else process.stdout.write(subs.length === 0 ? "no event subscriptions\n" : subs.map(line).join(""));
    });
  });
  withResource(events.command("delete <id>").description("delete a subscription and its queued events")).action(async (id: string, options: EventsOptions) => {
    await withCore(options, async (core) => {
      await core.events.subscriptions.delete(pickResource(core, options.resource).id, id);
      if (options.json === true) printJson({ id, deleted: true });
      else process.stdout.write(`deleted ${id}\n`);
    });
  });
  withResource(events.command("failures").description("dead-lettered events, newest first").option("--limit <n>", "at most n (default 100)")).action(
    async (options: EventsOptions) => {
      await withCore(options, async (core) => {
        const limit = options.limit === undefined ? 100 : intOption(options.limit, "--limit");
        const failures = await core.events.subscriptions.failures(pickResource(core, options.resource).id, limit);
        if (options.json === true) printJson(failures);
        else
          process.stdout.write(
            failures.length === 0
              ? "no dead-lettered events\n"
              : failures.map((f) => `${f.deadAt}  ${f.eventType}  ${f.eventId}  subscription ${f.subscriptionId}  ${f.attempts} attempt(s)  ${f.lastError ?? ""}\n`).join(""),
          );
      });
    },
  );

  const sms = program.commands.find((c) => c.name() === "sms") ?? program.command("sms").description("SMS settings");
  withResource(
    sms
      .command("receive")
      .description("simulate an SMS from a phone to a number of the resource (raises SMSReceived; STOP/START opt out/in)")
      .requiredOption("--from <e164>", "the phone that sends")
      .requiredOption("--to <e164>", "the resource's number (SMS inbound-capable)")
      .requiredOption("--message <text>", "the text"),
  ).action(async (options: EventsOptions & { from: string; to: string; message: string }) => {
    await withCore(options, async (core) => {
      const result = await core.events.inboundSms.receive(pickResource(core, options.resource), { from: options.from, to: options.to, message: options.message });
      if (options.json === true) printJson(result);
      else process.stdout.write(`received ${result.messageId}${result.optOut === "added" ? ` (${options.from} opted out)` : result.optOut === "removed" ? ` (${options.from} opted in)` : ""}\n`);
    });
  });
}
