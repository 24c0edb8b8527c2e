import type { Command } from "commander";
import { addStoreOptions, printJson, withCore, type StoreOptions } from "./common.js";

export function registerSigningKeysCommand(program: Command): void {
  const sk = program.command("signing-keys").description("the keys that sign user access tokens");
  addStoreOptions(sk.command("list").description("published signing keys (JWKS)").option("--json", "JSON output")).action(
    async (options: StoreOptions & { json?: boolean }) => {
      await withCore(options, async (core) => {
        const jwks = core.keyRing.jwks();
        if (options.json === true) printJson({ active: core.keyRing.activeKid, ...jwks });
        else for (const k of jwks.keys) process.stdout.write(`${k.kid}${k.kid === core.keyRing.activeKid ? "  (active)" : ""}\n`);
      });
    },
  );
  addStoreOptions(sk.command("rotate").description("start signing with a new key; old keys verify until their tokens expire")).action(
    async (options: StoreOptions) => {
      await withCore(options, async (core) => {
        const kid = await core.keyRing.rotate();
        process.stdout.write(`new signing key ${kid}\n`);
      });
    },
  );
}
