import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // 2-core machine: a few files at a time keeps servers and SDK clients from starving each other.
    maxWorkers: 2,
    globalSetup: ["test/global-setup.ts"],
  },
});
