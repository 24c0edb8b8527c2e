import { describe, expect, it } from "vitest";
import { toAcsError } from "../../src/http/error-handler.js";

const coded = (code: string, message = "x") => Object.assign(new Error(message), { code });

describe("a write naming a row deleted meanwhile (a resource deleted on another replica)", () => {
  it.each([
    ["PostgreSQL foreign_key_violation", coded("23503", 'insert or update on table "identities" violates foreign key constraint')],
    ["SQLite foreign key constraint", coded("SQLITE_CONSTRAINT_FOREIGNKEY", "FOREIGN KEY constraint failed")],
  ])("%s is a 404 ResourceNotFound, not a 500", (_what, err) => {
    const acs = toAcsError(err);
    expect({ status: acs.status, code: acs.code }).toEqual({ status: 404, code: "ResourceNotFound" });
    expect(acs.message).not.toContain("constraint");
  });
});
