import { openCore } from "../../src/app.js";
import { loadConfig } from "../../src/config/config.js";

/**
 * Creates the store of a data directory as `switchboard start` does on first start (migrations, the default
 * resource, signing keys), for tests of CLI commands, which never create a store themselves.
 */
export async function createStore(dataDir: string): Promise<void> {
  const core = await openCore(loadConfig({ overrides: { dataDir, log: { level: "silent" } } }));
  await core.close();
}
