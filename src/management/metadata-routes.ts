import { defineRoute, type RouteSpec } from "../http/route.js";
import { LEGACY_MANAGEMENT_AUDIENCE, MANAGEMENT_AUDIENCE } from "./arm-audiences.js";

/**
 * Cloud metadata, so `az cloud register --endpoint-resource-manager https://<server>/` and other tools discover the
 * server: its resource manager, its login endpoint (the built-in authority) and the audiences it accepts.
 * api-version 2015-01-01 answers Azure's object shape; newer versions (2019-05-01, 2022-09-01) a list of one cloud.
 */
export function metadataRoutes(tenantId: () => string): RouteSpec[] {
  return [
    defineRoute({
      operation: "arm.metadataEndpoints",
      method: "GET",
      url: "/metadata/endpoints",
      auth: "none",
      requireApiVersion: false,
      handle: (ctx) => {
        const base = `${ctx.baseUrl}/`;
        const authentication = {
          loginEndpoint: base,
          audiences: [`${LEGACY_MANAGEMENT_AUDIENCE}/`, `${MANAGEMENT_AUDIENCE}/`, base],
          tenant: tenantId(),
          identityProvider: "AAD",
        };
        const cloud = {
          galleryEndpoint: base,
          graphEndpoint: base,
          graphAudience: base,
          portalEndpoint: base,
          resourceManager: base,
          name: "Switchboard",
          authentication,
          suffixes: { acrLoginServer: "azurecr.io", keyVaultDns: "vault.azure.net", storage: "core.windows.net" },
        };
        const version = ctx.query["api-version"];
        return { status: 200, body: version === undefined || version === "2015-01-01" ? cloud : [cloud] };
      },
    }),
  ];
}
