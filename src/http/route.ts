import type { Readable } from "node:stream";
import type { FastifyRequest } from "fastify";
import type { z } from "zod";
import type { Principal, UserScope } from "../auth/principal.js";
import type { Resource } from "../resources/resource.js";

/**
 * Which authenticator chain a route uses:
 * - management: access key (HMAC) or Entra ID bearer: Identity, SMS, Email, Phone Numbers, admin;
 * - user: user access token: Chat, Calling;
 * - arm: Entra ID bearer for the management plane (audience management.azure.com or this server); RBAC on ARM scopes;
 * - none: public documents (JWKS, discovery, health).
 */
export type AuthPolicy = "management" | "user" | "arm" | "none";

/** What an ARM route needs: the action, at the ARM scope its path names (src/management/arm-authorizer.ts). */
export interface ArmRequirement {
  action: string;
  scope(params: Record<string, string>): string;
  /** List operations filter by the caller's access instead of refusing (the handler does it). */
  filtered?: boolean;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as is instead of a JSON body (static documents: scripts, pages; a stream: Server-Sent Events); set content-type in `headers`. */
  rawBody?: string | Buffer | Readable;
}

export interface HandlerContext<B> {
  resource: Resource;
  /** Undefined only on `auth: "none"` routes. */
  principal: Principal | undefined;
  params: Record<string, string>;
  query: Record<string, string | string[] | undefined>;
  body: B;
  rawBody: Buffer;
  headers: FastifyRequest["headers"];
  /** scheme://host as the client addressed this server: the base of nextLink, Operation-Location, issuer URLs. */
  baseUrl: string;
  requestId: string;
  /** Names the identities an operation acted on (logged beside the principal). */
  setSubject(identity: string | string[]): void;
  /**
   * Operation-specific facts for the activity record and the request log (thread id, message id, call id, token
   * scopes, SMS/e-mail message id …). Never secrets or message bodies.
   */
  annotate(fields: Record<string, string | number | boolean | string[]>): void;
  request: FastifyRequest;
}

export interface RouteSpec<B = unknown> {
  /** Stable operation name for logs, metrics and the permission table, e.g. `identity.create`. */
  operation: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** fastify path; a literal colon is written `::` (e.g. `/identities/:id/::issueAccessToken`). */
  url: string;
  auth: AuthPolicy;
  /** For `arm` routes: the action and scope RBAC checks. */
  arm?: ArmRequirement;
  /** For user-token routes: the operation is allowed if the token has any of these scopes. */
  userScopes?: readonly UserScope[];
  /** ACS operations require `api-version` (default true). */
  requireApiVersion?: boolean;
  /** json (default): parsed after authentication and checked by `body`; form: x-www-form-urlencoded; raw: untouched. */
  bodyFormat?: "json" | "form" | "raw";
  body?: z.ZodType<B>;
  handle(ctx: HandlerContext<B>): Promise<Reply> | Reply;
}

/** Typed helper so handlers see their body type. */
export function defineRoute<B>(spec: RouteSpec<B>): RouteSpec<unknown> {
  return spec as RouteSpec<unknown>;
}
