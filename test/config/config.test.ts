import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/config.js";

describe("configuration", () => {
  it("has working defaults and is frozen", () => {
    const config = loadConfig();
    expect(config).toMatchObject({ host: "127.0.0.1", port: 8443, httpPort: 8080, inMemory: false });
    expect(config.sqlite).toEqual({ synchronous: "FULL", activitySynchronous: "NORMAL", cacheSizeKib: 8192, activityCacheSizeKib: 2048, mmapSizeMib: 0, walAutocheckpointPages: 1000, statementCacheSize: 500 });
    expect(config.postgres).toEqual({ poolSize: 10, groupCommit: true, preparedStatements: true });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.resource)).toBe(true);
  });

  it("takes the environment, and explicit options over it", () => {
    const config = loadConfig({
      env: { SWITCHBOARD_PORT: "9443", SWITCHBOARD_HTTP_PORT: "off", SWITCHBOARD_RESOURCE_NAME: "ci", SWITCHBOARD_SQLITE_ACTIVITY_SYNCHRONOUS: "FULL" },
      overrides: { port: 10443 },
    });
    expect(config.port).toBe(10443);
    expect(config.sqlite).toEqual({ synchronous: "FULL", activitySynchronous: "FULL", cacheSizeKib: 8192, activityCacheSizeKib: 2048, mmapSizeMib: 0, walAutocheckpointPages: 1000, statementCacheSize: 500 });
    const tuned = loadConfig({
      env: {
        SWITCHBOARD_SQLITE_CACHE_SIZE_KIB: "4096",
        SWITCHBOARD_SQLITE_ACTIVITY_CACHE_SIZE_KIB: "1024",
        SWITCHBOARD_SQLITE_MMAP_SIZE_MIB: "64",
        SWITCHBOARD_SQLITE_WAL_AUTOCHECKPOINT: "2000",
        SWITCHBOARD_SQLITE_STATEMENT_CACHE_SIZE: "100",
        SWITCHBOARD_VERIFIED_TOKEN_CACHE_SIZE: "1000",
        SWITCHBOARD_IDENTITY_STATE_CACHE_SIZE: "2000",
      },
    });
    expect(tuned.sqlite).toMatchObject({ cacheSizeKib: 4096, activityCacheSizeKib: 1024, mmapSizeMib: 64, walAutocheckpointPages: 2000, statementCacheSize: 100 });
    expect(tuned.tokens).toMatchObject({ verifiedCacheSize: 1000, identityStateCacheSize: 2000 });
    expect(config.httpPort).toBeNull();
    expect(config.resource.name).toBe("ci");
    expect(loadConfig({ env: { SWITCHBOARD_PG_GROUP_COMMIT: "off", SWITCHBOARD_PG_POOL_SIZE: "4", SWITCHBOARD_PG_PREPARED_STATEMENTS: "0" } }).postgres).toEqual({
      poolSize: 4,
      groupCommit: false,
      preparedStatements: false,
    });
  });

  it("lists every problem at once", () => {
    let error: unknown;
    try {
      loadConfig({
        env: { SWITCHBOARD_PORT: "70000", SWITCHBOARD_PRIMARY_KEY: "not-base64", SWITCHBOARD_DATABASE_URL: "mysql://x" },
        overrides: { tls: { certFile: "only-cert.pem" } },
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect((error as ConfigError).problems.length).toBeGreaterThanOrEqual(4);
    expect(problems).toMatch(/port/);
    expect(problems).toMatch(/resource\.primaryKey/);
    expect(problems).toMatch(/databaseUrl/);
    expect(problems).toMatch(/tlsCert and tlsKey go together/);
  });
});
