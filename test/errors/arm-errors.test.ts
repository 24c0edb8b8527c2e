import { describe, expect, it } from "vitest";
import { errorCatalogue } from "../../src/errors/acs-errors.js";
import { ArmError, armError, armErrorCatalogue, fillTemplate, type ArmErrorName } from "../../src/errors/arm-errors.js";
import { WireError } from "../../src/errors/wire-error.js";
import { toAcsError } from "../../src/http/error-handler.js";

/** ARM's codes and the statuses ARM answers them with (docs/management.md). */
const ARM_STATUS: Record<string, number> = {
  MissingApiVersionParameter: 400,
  InvalidApiVersionParameter: 400,
  InvalidRequestContent: 400,
  InvalidResourceName: 400,
  AuthorizationFailed: 403,
  SubscriptionNotFound: 404,
  ResourceGroupNotFound: 404,
  ResourceNotFound: 404,
  OperationNotFound: 404,
  Conflict: 409,
};

describe("the ARM error catalogue", () => {
  it("gives every entry an ARM code with ARM's status, and a message whose placeholders are all named", () => {
    const names = Object.keys(armErrorCatalogue) as ArmErrorName[];
    expect(names.length).toBeGreaterThanOrEqual(30);
    for (const name of names) {
      const entry: { status: number; code: string; message: string; target?: string } = armErrorCatalogue[name];
      expect(ARM_STATUS[entry.code], `${name} has an ARM code`).toBe(entry.status);
      expect(entry.message.length, name).toBeGreaterThan(10);
      // Every placeholder is a plain identifier: no stray braces that would reach the client unfilled.
      expect(entry.message.replace(/\{\w+\}/g, ""), name).not.toMatch(/[{}]/);
    }
  });

  it("fills every placeholder of message and target, once, without reading a value's braces again", () => {
    const e = armError("invalidContent", { target: "properties.tags", problem: "must be {x}" });
    expect(e).toBeInstanceOf(ArmError);
    expect(e).toBeInstanceOf(WireError);
    expect(e.status).toBe(400);
    expect(e.code).toBe("InvalidRequestContent");
    expect(e.entry).toBe("invalidContent");
    expect(e.message).toBe("The request content was invalid: properties.tags: must be {x}");
    expect(e.target).toBe("properties.tags");
    expect(fillTemplate("a {b} {c}", { b: "{c}", c: "C" })).toBe("a {c} C");
    expect(fillTemplate("a {missing}", {})).toBe("a {missing}");
  });

  it("renders the ARM envelope: code and message, a target only where the entry names one", () => {
    expect(armError("resourceGroupNotFound", { resourceGroup: "rg-1" }).toBody()).toStrictEqual({
      error: { code: "ResourceGroupNotFound", message: "Resource group 'rg-1' could not be found." },
    });
    expect(armError("linkedDomainNotVerified", { id: "/x" }).toBody()).toStrictEqual({
      error: { code: "InvalidRequestContent", message: "The linked domain '/x' is not verified.", target: "properties.linkedDomains" },
    });
    expect(armError("authorizationFailed", { objectId: "oid-1", action: "a/read", scope: "/subscriptions/s" }).message).toBe(
      "The client 'oid-1' with object id 'oid-1' does not have authorization to perform action 'a/read' over scope '/subscriptions/s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
    );
    expect(armError("resourceNotFound", { type: "EmailServices", name: "mail", resourceGroup: "rg" }).message).toBe(
      "The Resource 'Microsoft.Communication/EmailServices/mail' under resource group 'rg' was not found.",
    );
    expect(armError("missingApiVersion").toBody().error).toStrictEqual({
      code: "MissingApiVersionParameter",
      message: "The api-version query parameter (?api-version=) is required for all requests.",
    });
  });

  // `Conflict` is in both dialects: ARM's 409s and the console data API's (an ACS-shaped body there).
  it("goes through the one error handler unchanged, and ARM-only codes are no longer ACS codes", () => {
    const e = armError("operationNotFound", { operationId: "op-1" });
    expect(toAcsError(e)).toBe(e);
    for (const code of ["MissingApiVersionParameter", "InvalidApiVersionParameter", "InvalidRequestContent", "InvalidResourceName", "SubscriptionNotFound", "ResourceGroupNotFound", "OperationNotFound"]) {
      expect(Object.hasOwn(errorCatalogue, code), code).toBe(false);
    }
  });
});
