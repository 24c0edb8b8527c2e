import { ACS_AUDIENCES } from "../../auth/audiences.js";
import { defineRoute, type HandlerContext, type Reply, type RouteSpec } from "../../http/route.js";
import type { Clock } from "../../util/clock.js";
import type { AuthorityKeys } from "../authority-keys.js";
import { authorityIssuer, type AuthorityTokens } from "../authority-tokens.js";
import type { PrincipalRecord } from "../entra-principals.js";
import type { ManagedIdentities } from "./managed-identities.js";

/** The App Service protocol's path: IDENTITY_ENDPOINT = `https://<host>:<port>/msi/token`. */
export const APP_SERVICE_PATH = "/msi/token";
/** The IMDS protocol's path under AZURE_POD_IDENTITY_AUTHORITY_HOST = `https://<host>:<port>/mi/<identity header>`. */
export const IMDS_TOKEN_PATH = "/metadata/identity/oauth2/token";
export const IDENTITY_HEADER = "x-identity-header";
const API_VERSIONS = new Set(["2019-08-01", "2018-02-01"]);
/** Resources a managed identity may request tokens for (with and without the trailing slash the SDKs add). */
const RESOURCES = new Set([
  ...ACS_AUDIENCES,
  "https://management.azure.com",
  "https://management.azure.com/",
]);

/**
 * Every refusal is a 400 or 401 answered at once: msal-node retries 404, 408, 429 and 5xx for seconds, so a bad
 * request must never look like one of those.
 */
function refuse(status: 400 | 401 | 403, error: string, description: string): Reply {
  return { status, headers: { "cache-control": "no-store" }, body: { error, error_description: description } };
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The identity a request names (client_id, object_id, mi_res_id/msi_res_id), or the workload's default. */
function selectIdentity(ctx: HandlerContext<unknown>, identities: PrincipalRecord[]): PrincipalRecord | Reply {
  const clientId = one(ctx.query.client_id);
  const objectId = one(ctx.query.object_id) ?? one(ctx.query.principal_id);
  const resId = one(ctx.query.mi_res_id) ?? one(ctx.query.msi_res_id);
  let chosen: PrincipalRecord | undefined;
  if (clientId !== undefined) chosen = identities.find((p) => p.clientId === clientId.toLowerCase());
  else if (objectId !== undefined) chosen = identities.find((p) => p.objectId === objectId.toLowerCase());
  else if (resId !== undefined) {
    const name = resId.split("/").filter((s) => s !== "").pop() ?? "";
    chosen = identities.find((p) => p.name.toLowerCase() === name.toLowerCase());
  } else chosen = identities[0];
  if (chosen === undefined) {
    return refuse(400, "invalid_request", "Identity not found: the workload may not use the managed identity named in client_id, object_id or mi_res_id.");
  }
  if (!chosen.enabled) return refuse(400, "invalid_request", "The managed identity is disabled.");
  return chosen;
}

export interface ManagedIdentityRouteDeps {
  identities: ManagedIdentities;
  keys: AuthorityKeys;
  tokens: AuthorityTokens;
  clock: Clock;
}

/** Issues the token for a workload identified by `secret` (the identity header or the IMDS path secret). */
async function issue(ctx: HandlerContext<unknown>, secret: string | undefined, deps: ManagedIdentityRouteDeps): Promise<Reply> {
  const apiVersion = one(ctx.query["api-version"]);
  if (apiVersion === undefined || !API_VERSIONS.has(apiVersion)) {
    return refuse(400, "invalid_request", "api-version must be 2019-08-01 (App Service) or 2018-02-01 (IMDS).");
  }
  const resource = one(ctx.query.resource);
  if (resource === undefined || resource === "") return refuse(400, "invalid_request", "Required query parameter resource is missing.");
  if (!RESOURCES.has(resource)) {
    return refuse(400, "invalid_resource", `AADSTS500011: The resource principal named ${resource.slice(0, 200)} was not found in the tenant.`);
  }
  if (secret === undefined || secret === "") return refuse(401, "unauthorized_client", "The X-IDENTITY-HEADER header is missing.");
  const identities = await deps.identities.identitiesFor(secret);
  if (identities === undefined || identities.length === 0) {
    return refuse(401, "unauthorized_client", "The identity header does not belong to any workload.");
  }
  const chosen = selectIdentity(ctx, identities);
  if (!("objectId" in chosen)) return chosen;
  ctx.setSubject(`sp:${chosen.objectId}`);
  ctx.annotate({ clientId: chosen.clientId!, resourceRequested: resource });
  // The token's issuer is the authority as reached over HTTPS (the verifier accepts only https issuers).
  const issuer = authorityIssuer(`https://${ctx.headers.host ?? "localhost"}`, deps.keys.tenantId);
  const access = deps.tokens.issueAccessToken({ issuer, audience: resource, subject: chosen, client: chosen, scp: [], clientAuth: "certificate" });
  const expiresOn = Math.floor(deps.clock.now() / 1000) + access.expiresIn;
  return {
    status: 200,
    headers: { "cache-control": "no-store" },
    body: {
      access_token: access.token,
      expires_on: String(expiresOn),
      expires_in: String(access.expiresIn),
      resource,
      token_type: "Bearer",
      client_id: chosen.clientId,
    },
  };
}

/**
 * Managed identity for workloads beside the server: the App Service protocol (IDENTITY_ENDPOINT + IDENTITY_HEADER)
 * and the IMDS protocol (AZURE_POD_IDENTITY_AUTHORITY_HOST, whose path carries the workload's secret because IMDS
 * requests carry no secret header). Tokens are the built-in authority's ordinary access tokens, so RBAC applies.
 */
export function managedIdentityRoutes(deps: ManagedIdentityRouteDeps): RouteSpec[] {
  const imds = (url: string, withSecret: boolean) =>
    defineRoute({
      operation: "mi.token.imds",
      method: "GET",
      url,
      auth: "none",
      requireApiVersion: false,
      handle: async (ctx) => {
        if (one(ctx.headers.metadata as string | string[] | undefined)?.toLowerCase() !== "true") {
          return refuse(400, "invalid_request", "Required metadata header not specified.");
        }
        if (!withSecret) {
          return refuse(401, "unauthorized_client", "Set AZURE_POD_IDENTITY_AUTHORITY_HOST to the workload's endpoint (https://<host>:<port>/mi/<identity header>).");
        }
        return issue(ctx, ctx.params.workload, deps);
      },
    });
  return [
    defineRoute({
      operation: "mi.token.app-service",
      method: "GET",
      url: APP_SERVICE_PATH,
      auth: "none",
      requireApiVersion: false,
      handle: (ctx) => issue(ctx, one(ctx.headers[IDENTITY_HEADER] as string | string[] | undefined), deps),
    }),
    imds(`/mi/:workload${IMDS_TOKEN_PATH}`, true),
    imds(`/mi/:workload${IMDS_TOKEN_PATH}/`, true),
    imds(IMDS_TOKEN_PATH, false),
    imds(`${IMDS_TOKEN_PATH}/`, false),
  ];
}
