import { describe, expect, it } from "vitest";
import { EntraError, entraCatalogue, entraDescription, entraError, entraFail, renderEntraError, type EntraErrorName } from "../../src/errors/entra-errors.js";

const NOW = Date.UTC(2026, 11, 6, 21, 5, 9, 123);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("the Entra (AADSTS) error catalogue", () => {
  it("renders the body MSAL parses, with the AADSTS number in the description and in error_codes", () => {
    const reply = renderEntraError(entraError("InvalidClientSecret", "11111111-2222-3333-4444-555555555555"), NOW);
    expect(reply.status).toBe(401);
    expect(reply.headers).toEqual({ "cache-control": "no-store" });
    const body = reply.body as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id"]);
    expect(body.error).toBe("invalid_client");
    expect(body.error_description).toBe(
      "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '11111111-2222-3333-4444-555555555555'.",
    );
    expect(body.error_codes).toEqual([7000215]);
    expect(body.timestamp).toBe("2026-12-06 21:05:09Z");
    expect(body.trace_id).toMatch(UUID);
    expect(body.correlation_id).toMatch(UUID);
    expect(body.trace_id).not.toBe(body.correlation_id);
  });

  it("answers 400 for every OAuth error but invalid_client, and 429 with Retry-After for throttling", () => {
    expect(renderEntraError(entraError("UnsupportedGrantType", "x"), NOW).status).toBe(400);
    expect(renderEntraError(entraError("AuthorizationPending"), NOW).status).toBe(400);
    const locked = renderEntraError(entraError("AccountLocked", 8).retryAfter(8), NOW);
    expect(locked.status).toBe(429);
    expect(locked.headers).toEqual({ "cache-control": "no-store", "retry-after": "8" });
    expect((locked.body as { error_description: string }).error_description).toBe(
      "AADSTS50053: The account is locked because of too many sign-in attempts with an incorrect secret or password. Retry after 8 seconds.",
    );
  });

  it("renders the brief shape of managed identity and userinfo, with extra headers", () => {
    const failure = entraError("MiResourceNotFound", "https://example.test/");
    failure.headers.vary = "Origin";
    const reply = renderEntraError(failure, NOW, "brief");
    expect(reply).toEqual({
      status: 400,
      headers: { "cache-control": "no-store", vary: "Origin" },
      body: { error: "invalid_resource", error_description: "AADSTS500011: The resource principal named https://example.test/ was not found in the tenant." },
    });
    expect(renderEntraError(entraError("MiUnknownWorkload"), NOW, "brief").status).toBe(401);
    expect(renderEntraError(entraError("UserinfoTokenMissing"), NOW, "oauth").body).toMatchObject({ error: "invalid_token", error_codes: [] });
  });

  it("names the code for the request log: the AADSTS number, or the OAuth error without one", () => {
    expect(entraError("ClientCredentialMissing").logCode).toBe("AADSTS7000218");
    expect(entraError("MiIdentityHeaderMissing").logCode).toBe("unauthorized_client");
  });

  it("bounds caller-supplied text in the messages", () => {
    expect(entraDescription("TenantNotFound", "t".repeat(500))).toBe(`AADSTS90002: Tenant '${"t".repeat(64)}' not found.`);
    expect(entraDescription("UnsupportedGrantType", "g".repeat(100))).toBe(`AADSTS70003: The app requested an unsupported grant type '${"g".repeat(40)}'.`);
    expect(entraDescription("ClientNotFound", "c".repeat(100))).toContain(`'${"c".repeat(64)}'`);
    expect(entraDescription("RedirectUriMismatch", "u".repeat(1000), "app")).toContain(`'${"u".repeat(300)}' specified`);
  });

  it("throws from entraFail, and every entry is well formed", () => {
    expect(() => entraFail("MissingParameter", "code")).toThrow(EntraError);
    try {
      entraFail("MissingParameter", "code");
    } catch (err) {
      expect((err as EntraError).description).toBe("AADSTS900144: The request body must contain the following parameter: 'code'.");
      expect((err as EntraError).entry).toBe("MissingParameter");
    }
    for (const [name, entry] of Object.entries(entraCatalogue) as Array<[EntraErrorName, (typeof entraCatalogue)[EntraErrorName]]>) {
      expect(entry.error, name).toMatch(/^[a-z_]+$/);
      if (entry.aadsts !== null) expect(Number.isInteger(entry.aadsts) && entry.aadsts > 0, name).toBe(true);
      const status = "status" in entry ? entry.status : entry.error === "invalid_client" ? 401 : 400;
      expect([400, 401, 429], name).toContain(status);
    }
  });
});
