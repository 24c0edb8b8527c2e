import type { Core } from "../core.js";
import { CallRepository } from "../calling/call-repository.js";
import { AuthorizationCodes } from "../idp/signin/authorization-codes.js";
import type { Authorizer } from "../rbac/authorizer.js";
import type { SwitchboardMetrics } from "../telemetry/metrics.js";
import { ConsoleAuth } from "./console-auth.js";
import { createConsole, type ConsoleModule } from "./console-routes.js";

/** The operator console at /console, wired from the core services (see docs/console.md). */
export function openConsole(core: Core, options: { metrics: SwitchboardMetrics; authorizer: Authorizer; httpsPort(): number | undefined }): ConsoleModule {
  const calls = new CallRepository(core.store);
  return createConsole({
    store: core.store,
    clock: core.clock,
    auth: new ConsoleAuth(core.store, core.clock),
    registry: core.registry,
    resources: core.resources,
    identities: core.identities,
    activity: core.activityRepository,
    outbox: core.messaging.outbox,
    calls,
    authorizer: options.authorizer,
    userPrincipal: async (objectId) => {
      const user = await core.entra.principals.find(objectId);
      if (user === undefined || user.kind !== "user" || !user.enabled) return undefined;
      return { kind: "entra", issuer: "console", objectId, tenantId: user.tenantId, appId: undefined, principalType: "user", displayName: user.name };
    },
    httpsPort: options.httpsPort,
    rotateSigningKey: () => core.keyRing.rotate(),
    releasePhoneNumber: (resource, phoneNumber) => core.messaging.phoneNumbers.release(resource, phoneNumber),
    smsDeliveryReport: (resource, id) => core.messaging.sms.deliveryReport(resource, id).catch(() => undefined),
    userSignin: {
      principals: core.entra.principals,
      apps: core.entra.signin.apps,
      codes: new AuthorizationCodes(core.store, core.clock),
      tenantId: () => core.entra.keys.tenantId,
    },
    extra: {
      store: core.store,
      calls,
      principals: core.entra.principals,
      roles: core.entra.roles,
      metrics: async () => (core.config.metrics.enabled ? options.metrics.render() : undefined),
    },
  });
}
