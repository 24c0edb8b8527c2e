import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/config.js";
import { recipientError } from "../../src/sms/sms-service.js";
import { checkE164, isE164 } from "../../src/util/phone-number.js";

/** The one E.164 check (src/util/phone-number.ts): per country calling code, by libphonenumber's metadata. */
describe("checkE164", () => {
  it.each([
    ["+14255550123", "US"],
    ["+18005550100", "US"],
    ["+14165550100", "CA"],
    ["+442079460000", "GB"],
    ["+448081570000", "GB"],
    ["+33612345678", "FR"],
  ])("%s is a valid number of %s", (number, country) => {
    expect(checkE164(number)).toEqual({ ok: true, number, country });
  });

  it.each([
    ["+1425555012345", "number", /too long/],
    ["+15551234567", "number", /not a valid number for its country calling code/],
    ["+999123456789", "number", /unknown country calling code/],
    ["+4420794600", "number", /length/],
    ["+1425", "number", /too short/],
    ["4255550123", "format", /E\.164 format/],
    ["+0123456789", "format", /E\.164 format/],
    ["+1 425 555 0123", "format", /E\.164 format/],
    ["", "format", /E\.164 format/],
  ])("%s is refused (%s)", (number, reason, detail) => {
    const result = checkE164(number);
    expect(result).toMatchObject({ ok: false, reason });
    expect(result.ok === false && result.detail).toMatch(detail);
    expect(isE164(number)).toBe(false);
  });

  it("gives SMS recipients ACS's two messages", () => {
    expect(recipientError("+14255550123")).toBeUndefined();
    expect(recipientError("+1425555012345")).toBe("Unknown country code.");
    expect(recipientError("4255550123")).toBe("Invalid To phone number format.");
  });

  it("refuses an inventory block whose first number is no valid number, at start-up", () => {
    const block = { countryCode: "US", phoneNumberType: "tollFree", assignmentType: "application", areaCode: "800", count: 1, capabilities: { calling: "none", sms: "none" }, cost: { amount: 1, currencyCode: "USD" } };
    expect(() => loadConfig({ overrides: { phoneNumbers: { inventory: [{ ...block, first: "+18005550100" }] } } as never })).not.toThrow();
    let error: unknown;
    try {
      loadConfig({ overrides: { phoneNumbers: { inventory: [{ ...block, first: "+15551234567" }] } } as never });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join("\n")).toMatch(/phoneNumbers\.inventory\.0\.first.*valid E\.164 number/);
  });
});
