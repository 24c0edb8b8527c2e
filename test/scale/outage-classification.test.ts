import { describe, expect, it } from "vitest";
import { isStorageUnavailable, toAcsError } from "../../src/http/error-handler.js";

const coded = (code: string, message = "x") => Object.assign(new Error(message), { code });

describe("storage outage classification", () => {
  it.each([
    ["connection refused", coded("ECONNREFUSED")],
    ["connection reset", coded("ECONNRESET")],
    ["PostgreSQL admin shutdown", coded("57P01")],
    ["PostgreSQL starting up", coded("57P03")],
    ["PostgreSQL connection failure", coded("08006")],
    ["too many connections", coded("53300")],
    ["statement timeout", coded("57014")],
    ["SQLite busy", coded("SQLITE_BUSY")],
    ["pg: connection terminated", new Error("Connection terminated unexpectedly")],
    ["pg-pool: connect timeout", new Error("timeout exceeded when trying to connect")],
    ["pg: query timeout", new Error("Query read timeout")],
    ["every address refused", new AggregateError([coded("ECONNREFUSED"), coded("ECONNREFUSED")], "")],
    ["wrapped", new Error("query failed", { cause: coded("ECONNRESET") })],
  ])("%s is a 503 ServiceUnavailable with Retry-After", (_what, err) => {
    expect(isStorageUnavailable(err)).toBe(true);
    const acs = toAcsError(err);
    expect(acs.status).toBe(503);
    expect(acs.code).toBe("ServiceUnavailable");
    expect(Number(acs.headers?.["retry-after"])).toBeGreaterThan(0);
  });

  it.each([
    ["a constraint violation", coded("23505", "duplicate key value violates unique constraint")],
    ["a syntax error", coded("42601")],
    ["a plain bug", new TypeError("cannot read properties of undefined")],
    ["a string", "boom"],
  ])("%s stays a 500", (_what, err) => {
    expect(isStorageUnavailable(err)).toBe(false);
    expect(toAcsError(err).status).toBe(500);
  });
});
