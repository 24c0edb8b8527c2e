import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // 2-core machine: a few files at a time keeps servers and SDK clients from starving each other.
    maxWorkers: 2,
    // Each worker process runs file after file with one module cache: the app, the SDKs and the support code are
    // imported once per worker instead of once per file (about 40% of the suite's CPU went to those imports). Test
    // files keep no global state between them (every server, store and env change is made and undone in the file).
    isolate: false,
    globalSetup: ["test/global-setup.ts"],
  },
});
