import { z } from "zod";
import { bearerToken } from "../auth/bearer/entra-authenticator.js";
import { AcsError } from "../errors/acs-errors.js";
import { defineRoute, type RouteSpec } from "../http/route.js";
import type { TokenExchange } from "./token-exchange.js";

const teamsBody = z.object({
  token: z.string().min(1).max(16_384),
  appId: z.string().min(1).max(200),
  userId: z.string().min(1).max(200),
});

/** The two Entra → ACS token exchanges (docs/wire-reference.md §4). */
export function tokenExchangeRoutes(exchange: TokenExchange): RouteSpec[] {
  return [
    defineRoute({
      // getTokenForTeamsUser: the caller is an app with an access key or an Entra role; the body carries the user's token.
      operation: "identity.exchangeTeamsUserToken",
      method: "POST",
      url: "/teamsUser/::exchangeAccessToken",
      auth: "management",
      body: teamsBody,
      async handle(ctx) {
        const issued = await exchange.exchangeTeamsToken(ctx.resource, ctx.body);
        ctx.setSubject(issued.identity);
        ctx.annotate({ expiresOn: issued.expiresOn });
        return { status: 200, body: { token: issued.token, expiresOn: issued.expiresOn } };
      },
    }),
    defineRoute({
      // AzureCommunicationTokenCredential({resourceEndpoint, tokenCredential}): the Entra user token is the bearer.
      operation: "identity.exchangeEntraUserToken",
      method: "POST",
      url: "/access/entra/::exchangeAccessToken",
      auth: "none",
      // The body is `{}`; the bearer is the input, checked in the handler before anything else.
      bodyFormat: "raw",
      async handle(ctx) {
        const token = bearerToken(ctx.headers);
        if (token === undefined) {
          throw new AcsError(ctx.headers.authorization === undefined ? "MissingAuthorization" : "UnsupportedAuthorizationScheme");
        }
        const issued = await exchange.exchangeEntraToken(ctx.resource, token);
        ctx.setSubject(issued.identity);
        ctx.annotate({ expiresOn: issued.expiresOn });
        return { status: 200, body: { accessToken: { token: issued.token, expiresOn: issued.expiresOn } } };
      },
    }),
  ];
}
