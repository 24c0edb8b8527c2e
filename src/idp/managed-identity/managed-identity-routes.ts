import { ACS_AUDIENCES } from "../../auth/audiences.js";
import { defineRoute, type HandlerContext, type Reply, type RouteSpec } from "../../http/route.js";
import { entraFail } from "../../errors/entra-errors.js";
import type { Clock } from "../../util/clock.js";
import { runEntraStep } from "../entra-reply.js";
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
 * Every refusal is a 400 or 401 answered at once (errors/entra-errors.ts, `Mi*`, rendered `brief`): msal-node
 * retries 404, 408, 429 and 5xx for seconds, so a bad request must never look like one of those.
 */
const runMi = (ctx: HandlerContext<unknown>, clock: Clock, fn: () => Promise<Reply> | Reply) => runEntraStep(ctx, () => clock.now(), fn, "brief");

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The identity a request names (client_id, object_id, mi_res_id/msi_res_id), or the workload's default. */
function selectIdentity(ctx: HandlerContext<unknown>, identities: PrincipalRecord[]): PrincipalRecord {
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
  if (chosen === undefined) return entraFail("MiIdentityNotFound");
  if (!chosen.enabled) entraFail("MiIdentityDisabled");
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
    entraFail("MiApiVersionInvalid");
  }
  const resource = one(ctx.query.resource);
  if (resource === undefined || resource === "") return entraFail("MiResourceMissing");
  if (!RESOURCES.has(resource)) entraFail("MiResourceNotFound", resource);
  if (secret === undefined || secret === "") return entraFail("MiIdentityHeaderMissing");
  const identities = await deps.identities.identitiesFor(secret);
  if (identities === undefined || identities.length === 0) return entraFail("MiUnknownWorkload");
  const chosen = selectIdentity(ctx, identities);
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
      handle: (ctx) =>
        runMi(ctx, deps.clock, () => {
          if (one(ctx.headers.metadata as string | string[] | undefined)?.toLowerCase() !== "true") entraFail("MiMetadataHeaderMissing");
          if (!withSecret) entraFail("MiImdsNeedsWorkload");
          return issue(ctx, ctx.params.workload, deps);
        }),
    });
  return [
    defineRoute({
      operation: "mi.token.app-service",
      method: "GET",
      url: APP_SERVICE_PATH,
      auth: "none",
      requireApiVersion: false,
      handle: (ctx) => runMi(ctx, deps.clock, () => issue(ctx, one(ctx.headers[IDENTITY_HEADER] as string | string[] | undefined), deps)),
    }),
    imds(`/mi/:workload${IMDS_TOKEN_PATH}`, true),
    imds(`/mi/:workload${IMDS_TOKEN_PATH}/`, true),
    imds(IMDS_TOKEN_PATH, false),
    imds(`${IMDS_TOKEN_PATH}/`, false),
  ];
}
