import type { Command } from "commander";
import { CallRepository } from "../calling/call-repository.js";
import { callRecordView, type CallRecordView } from "../calling/call-record.js";
import { parseIdentityId } from "../identity/identity-id.js";
import { addStoreOptions, intOption, printJson, withCore, type StoreOptions } from "./common.js";
import { pickResource } from "./keys-command.js";

interface CallsOptions extends StoreOptions {
  identity?: string;
  resource?: string;
  limit?: string;
  json?: boolean;
}

function formatDuration(ms: number | null): string {
  if (ms === null) return "-";
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** One call per block: header line, then one line per participant. */
function formatCall(call: CallRecordView): string {
  const head = `${call.id}  ${call.startedAt}  ${call.video ? "video" : "audio"}  ${call.endReason ?? "in progress"}  ${formatDuration(call.durationMs)}`;
  const lines = call.participants.map(
    (p) => `  ${p.role.padEnd(7)} ${p.outcome.padEnd(8)} ${formatDuration(p.durationMs).padStart(7)}  ${p.identity}${p.leaveReason ? `  (${p.leaveReason})` : ""}`,
  );
  return [head, ...lines].join("\n");
}

export function registerCallsCommand(program: Command): void {
  const calls = program.command("calls").description("call records of browser calls (docs/calling.md)");
  addStoreOptions(
    calls
      .command("list")
      .description("list calls, newest first: all of a resource's calls, or every call an identity took part in")
      .option("--identity <id>", "only calls this identity made, was invited to or joined")
      .option("--resource <name>", "resource name or id (default: the identity's resource, else the default resource)")
      .option("--limit <n>", "at most this many calls (default 50)")
      .option("--json", "JSON output"),
  ).action(async (options: CallsOptions) => {
    const limit = options.limit === undefined ? 50 : intOption(options.limit, "--limit");
    if (limit < 1 || limit > 10_000) throw new Error("--limit must be from 1 to 10000");
    if (options.identity !== undefined && parseIdentityId(options.identity) === undefined) {
      throw new Error(`'${options.identity}' is not a communication identity id (8:acs:…)`);
    }
    await withCore(options, async (core) => {
      const resourceId =
        options.resource !== undefined || options.identity === undefined
          ? pickResource(core, options.resource).id
          : parseIdentityId(options.identity)!.resourceId;
      const records = await new CallRepository(core.store).list({
        resourceId,
        ...(options.identity !== undefined ? { identity: options.identity } : {}),
        limit,
      });
      const views = records.map(callRecordView);
      if (options.json === true) printJson(views);
      else process.stdout.write(views.length === 0 ? "no calls\n" : `${views.map(formatCall).join("\n")}\n`);
    });
  });
}
