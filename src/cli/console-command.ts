import { userInfo } from "node:os";
import type { Command } from "commander";
import { ConsoleAuth, LINK_LIFETIME_MS } from "../console/console-auth.js";
import { endpointHost } from "./banner.js";
import { addStoreOptions, printJson, withCore, type StoreOptions } from "./common.js";

function defaultOperator(): string {
  try {
    return userInfo().username || "operator";
  } catch {
    return "operator";
  }
}

export function registerConsoleCommand(program: Command): void {
  const consoleCmd = program.command("console").description("the operator console at https://<host>:<port>/console");
  addStoreOptions(
    consoleCmd
      .command("link")
      .description("print a one-time sign-in link to the console (valid once, for five minutes)")
      .option("--operator <name>", "the name the activity record shows for your console actions (default: your user name)")
      .option("--user <name>", "sign in as this built-in user (name or object id): its role assignments decide what it may do")
      .option("--base-url <url>", "the server's HTTPS address (default: from the configuration)")
      .option("--json", "print { url, expiresOn } as JSON"),
  ).action(async (options: StoreOptions & { operator?: string; user?: string; baseUrl?: string; json?: boolean }) => {
    await withCore(options, async (core) => {
      let userObjectId: string | undefined;
      let operator = (options.operator ?? defaultOperator()).trim();
      if (options.user !== undefined) {
        const user = await core.entra.principals.resolve(options.user);
        if (user === undefined || user.kind !== "user") throw new Error(`no built-in user '${options.user}'`);
        if (!user.enabled) throw new Error(`user '${user.name}' is disabled`);
        userObjectId = user.objectId;
        operator = user.name;
      }
      if (operator === "" || operator.length > 100) throw new Error("--operator must be 1 to 100 characters");
      const link = await new ConsoleAuth(core.store, core.clock).createLink(operator, LINK_LIFETIME_MS, userObjectId);
      const base = (options.baseUrl ?? `https://${endpointHost(core.config.host)}:${core.config.port}`).replace(/\/+$/, "");
      const url = `${base}/console/signin?token=${encodeURIComponent(link.token)}`;
      if (options.json === true) printJson({ url, expiresOn: new Date(link.expiresAt).toISOString() });
      else process.stdout.write(`Open this link in your browser (works once, for five minutes):\n${url}\n`);
    });
  });
}
