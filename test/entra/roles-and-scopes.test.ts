import { describe, expect, it } from "vitest";
import { parseScopeRequest } from "../../src/idp/authority-tokens.js";
import { acsScopesFor } from "../../src/idp/token-exchange.js";
import { operationPermissions } from "../../src/rbac/permissions.js";
import { BUILT_IN_ROLES, matchesPattern, parseCustomRole, roleGrants } from "../../src/rbac/role-definitions.js";

const role = (name: string) => BUILT_IN_ROLES.find((r) => r.name === name)!;
const ACS = "Microsoft.Communication/CommunicationServices";

describe("role definitions", () => {
  it("match Azure-style wildcards case-insensitively and literally otherwise", () => {
    expect(matchesPattern("*", `${ACS}/identities/write`)).toBe(true);
    expect(matchesPattern("*/read", `${ACS}/tokens/read`)).toBe(true);
    expect(matchesPattern("*/read", `${ACS}/identities/write`)).toBe(false);
    expect(matchesPattern("microsoft.communication/*", `${ACS}/identities/write`)).toBe(true);
    expect(matchesPattern(`${ACS}/identities/write`, `${ACS}/identities/writeX`)).toBe(false);
    expect(matchesPattern("Microsoft.Communication.*", "MicrosoftXCommunicationY")).toBe(false);
  });

  it("grant every identity permission to Owner, Contributor and Communication and Email Service Owner; Reader only reads", () => {
    for (const permission of Object.values(operationPermissions)) {
      for (const name of ["Owner", "Contributor", "Communication and Email Service Owner"]) expect(roleGrants(role(name), permission)).toBe(true);
      expect(roleGrants(role("Reader"), permission)).toBe(permission.endsWith("/read"));
    }
  });

  it("honour notActions", () => {
    const custom = parseCustomRole({ name: "No delete", actions: [`${ACS}/*`], notActions: [`${ACS}/*/delete`] });
    expect(roleGrants(custom, `${ACS}/identities/write`)).toBe(true);
    expect(roleGrants(custom, `${ACS}/identities/delete`)).toBe(false);
  });

  it("refuse malformed custom roles and built-in names", () => {
    expect(() => parseCustomRole({ name: "Empty" })).toThrow(/at least one action/);
    expect(() => parseCustomRole({ name: "Owner", actions: ["*"] })).toThrow(/built-in/);
    expect(() => parseCustomRole({ name: "Bad", actions: ["a b"] })).toThrow(/invalid role definition/);
    expect(() => parseCustomRole("not an object")).toThrow(/invalid role definition/);
  });
});

describe("token request scopes", () => {
  it("app flow: only <resource>/.default, also MSAL's double slash", () => {
    expect(parseScopeRequest("https://communication.azure.com//.default", "app")).toMatchObject({ ok: true, audience: "https://communication.azure.com", scp: [] });
    expect(parseScopeRequest("https://communication.azure.com/.default", "app")).toMatchObject({ ok: true });
    expect(parseScopeRequest("https://communication.azure.com/clients/VoIP", "app")).toMatchObject({ ok: false });
    expect(parseScopeRequest("https://graph.microsoft.com/.default", "app")).toMatchObject({ ok: false });
  });

  it("user flow: OIDC scopes are ignored; one resource only; .default expands", () => {
    expect(parseScopeRequest("https://communication.azure.com/clients/.default openid profile offline_access", "user")).toMatchObject({
      ok: true,
      audience: "https://communication.azure.com",
      scp: ["clients/Chat", "clients/VoIP"],
    });
    expect(parseScopeRequest("https://auth.msft.communication.azure.com/Teams.ManageCalls", "user")).toMatchObject({
      ok: true,
      audience: "https://auth.msft.communication.azure.com",
      scp: ["Teams.ManageCalls"],
    });
    expect(parseScopeRequest("https://communication.azure.com/clients/VoIP https://auth.msft.communication.azure.com/Teams.ManageCalls", "user")).toMatchObject({ ok: false });
    expect(parseScopeRequest("openid profile", "user")).toMatchObject({ ok: false });
  });

  it("exchange: delegated scopes map onto ACS scopes", () => {
    expect(acsScopesFor("clients/Chat clients/VoIP")).toEqual(["chat", "voip"]);
    expect(acsScopesFor("https://communication.azure.com/clients/VoIP")).toEqual(["voip"]);
    expect(acsScopesFor("Teams.ManageCalls")).toEqual([]);
  });
});
