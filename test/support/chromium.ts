import { accessSync, constants } from "node:fs";
import path from "node:path";

/** Names Debian, Ubuntu and Fedora give the Chromium binary; the first one found on PATH is used. */
const CANDIDATES = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"];

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Chromium the browser tests drive: `SWITCHBOARD_TEST_CHROMIUM` when set, else the first of the usual binary
 * names on PATH. Fails with a line that says how to get one (.ci/run installs Debian's `chromium`).
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.SWITCHBOARD_TEST_CHROMIUM;
  if (explicit !== undefined && explicit !== "") {
    if (!executable(explicit)) throw new Error(`SWITCHBOARD_TEST_CHROMIUM=${explicit} is not an executable file`);
    return explicit;
  }
  const dirs = (env.PATH ?? "").split(path.delimiter).filter((d) => d !== "");
  for (const name of CANDIDATES) {
    for (const dir of dirs) {
      const file = path.join(dir, name);
      if (executable(file)) return file;
    }
  }
  throw new Error(`no Chromium found on PATH (tried ${CANDIDATES.join(", ")}); install Debian's chromium or set SWITCHBOARD_TEST_CHROMIUM`);
}
