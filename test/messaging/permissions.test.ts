import { describe, expect, it } from "vitest";
import { emailRoutes } from "../../src/email/email-routes.js";
import { outboxRoutes } from "../../src/outbox/outbox-routes.js";
import { phoneNumbersRoutes } from "../../src/phone-numbers/phone-numbers-routes.js";
import { reservationRoutes } from "../../src/phone-numbers/reservation-routes.js";
import { operationPermissions } from "../../src/rbac/permissions.js";
import { smsRoutes } from "../../src/sms/sms-routes.js";

// The route lists only need their services when a request is handled; building them is enough to read the specs.
const none = {} as never;
const routes = [...phoneNumbersRoutes({ inventory: {} } as never), ...reservationRoutes(none, none, none), ...smsRoutes(none), ...emailRoutes(none), ...outboxRoutes(none)];

describe("messaging routes and the permission table", () => {
  it("every messaging operation is a management route with a permission row using a read/write/delete/action verb", () => {
    expect(routes.length).toBe(20 + 5 + 2 + 3);
    for (const route of routes) {
      expect(route.auth, route.operation).toBe("management");
      const permission = operationPermissions[route.operation];
      expect(permission, route.operation).toMatch(/^Microsoft\.Communication\/CommunicationServices\/[A-Za-z/]+\/(read|write|delete|action)$/);
    }
    expect(new Set(routes.map((r) => r.operation)).size).toBe(routes.length);
  });

  it("reads need read permissions and changes need write, delete or action permissions", () => {
    for (const route of routes) {
      const verb = operationPermissions[route.operation]!.split("/").pop();
      if (route.method === "GET") expect(verb, route.operation).toBe("read");
      else if (route.operation !== "sms.optOuts.check") expect(verb, route.operation).not.toBe("read");
    }
  });
});
