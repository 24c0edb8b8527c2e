import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { isKeySourceUrl } from "../../src/util/key-source-url.js";

describe("where signing keys may be fetched from (one rule for the config and the issuer key sets)", () => {
  it("accepts https anywhere and http on loopback only", () => {
    expect(["https://login.example.com/t/keys", "http://127.0.0.1:8080/keys", "http://localhost/keys", "http://[::1]:9/keys"].every(isKeySourceUrl)).toBe(true);
    expect(["http://login.example.com/keys", "http://10.0.0.1/keys", "ftp://127.0.0.1/keys", "not a url", ""].some(isKeySourceUrl)).toBe(false);
  });

  it("the configuration refuses a plain-http key set off loopback, naming the rule", () => {
    const issuer = (jwksUri: string) => ({ entra: { trustedIssuers: [{ issuer: "https://login.example.com/t/v2.0", jwksUri, audiences: ["api"] }] } });
    expect(() => loadConfig({ overrides: issuer("http://login.example.com/keys") as never })).toThrow(/http only on loopback/);
    expect(loadConfig({ overrides: issuer("http://127.0.0.1:1/keys") as never }).entra.trustedIssuers[0]!.jwksUri).toBe("http://127.0.0.1:1/keys");
  });
});
