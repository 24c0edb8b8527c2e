import { z } from "zod";
import { isAcsIdentityOf } from "./identity-id.js";
import { defineRoute, type HandlerContext, type RouteSpec } from "../http/route.js";
import { AcsError } from "../errors/acs-errors.js";
import { checkLifetime, checkScopes, type IdentityService } from "./identity-service.js";

// Field shapes are checked loosely here and precisely (with their own error codes) by checkScopes/checkLifetime.
const createBody = z
  .object({ createTokenWithScopes: z.unknown().optional(), expiresInMinutes: z.unknown().optional() })
  .optional();
const issueBody = z.object({ scopes: z.unknown().optional(), expiresInMinutes: z.unknown().optional() });
const introspectBody = z.object({ token: z.string().min(1).max(16_384) });

/**
 * A failed attempt is filed under the identity only when its id says it is this resource's; any other id is named
 * once the operation succeeded (the service checks ownership): another resource's key cannot write into its record.
 */
function fileUnderIfOwn(ctx: HandlerContext<unknown>): void {
  if (isAcsIdentityOf(ctx.params.id!, ctx.resource.id)) ctx.setSubject(ctx.params.id!);
}

/** The Identity API (docs/wire-reference.md §4): exactly the status codes `@azure/communication-identity` accepts. */
export function identityRoutes(identities: IdentityService): RouteSpec[] {
  return [
    defineRoute({
      operation: "identity.create",
      method: "POST",
      url: "/identities",
      auth: "management",
      body: createBody,
      async handle(ctx) {
        const wantsToken = ctx.body?.createTokenWithScopes !== undefined;
        if (!wantsToken && ctx.body?.expiresInMinutes !== undefined) {
          throw new AcsError("InvalidRequestBody", "expiresInMinutes needs createTokenWithScopes.");
        }
        const options = wantsToken
          ? { scopes: checkScopes(ctx.body?.createTokenWithScopes), lifetimeMinutes: checkLifetime(ctx.body?.expiresInMinutes) }
          : {};
        const created = await identities.create(ctx.resource, ctx.principal!, options);
        ctx.setSubject(created.id);
        if (options.scopes !== undefined) ctx.annotate({ scopes: options.scopes, expiresOn: created.accessToken!.expiresOn });
        const body: Record<string, unknown> = { identity: { id: created.id } };
        if (created.accessToken !== undefined) {
          body.accessToken = { token: created.accessToken.token, expiresOn: created.accessToken.expiresOn };
        }
        return { status: 201, body };
      },
    }),
    defineRoute({
      operation: "identity.delete",
      method: "DELETE",
      url: "/identities/:id",
      auth: "management",
      async handle(ctx) {
        fileUnderIfOwn(ctx);
        await identities.delete(ctx.resource, ctx.params.id!);
        ctx.setSubject(ctx.params.id!);
        return { status: 204 };
      },
    }),
    defineRoute({
      operation: "identity.issueAccessToken",
      method: "POST",
      url: "/identities/:id/::issueAccessToken",
      auth: "management",
      body: issueBody,
      async handle(ctx) {
        const scopes = checkScopes(ctx.body.scopes);
        const minutes = checkLifetime(ctx.body.expiresInMinutes);
        fileUnderIfOwn(ctx);
        const issued = await identities.issueToken(ctx.resource, ctx.principal!, ctx.params.id!, scopes, minutes);
        ctx.setSubject(ctx.params.id!);
        ctx.annotate({ scopes, expiresOn: issued.expiresOn });
        return { status: 200, body: { token: issued.token, expiresOn: issued.expiresOn } };
      },
    }),
    defineRoute({
      operation: "identity.revokeAccessTokens",
      method: "POST",
      url: "/identities/:id/::revokeAccessTokens",
      auth: "management",
      async handle(ctx) {
        fileUnderIfOwn(ctx);
        await identities.revokeTokens(ctx.resource, ctx.params.id!);
        ctx.setSubject(ctx.params.id!);
        return { status: 204 };
      },
    }),
    defineRoute({
      operation: "identity.introspectToken",
      method: "POST",
      url: "/tokens/::introspect",
      auth: "management",
      body: introspectBody,
      async handle(ctx) {
        const result = await identities.introspect(ctx.resource, ctx.body.token);
        if (result.active) ctx.setSubject(result.identity);
        return { status: 200, body: result };
      },
    }),
  ];
}
