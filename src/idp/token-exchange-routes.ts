import { z } from "zod";
import { bearerToken } from "../auth/bearer-header.js";
import { AcsError } from "../errors/acs-errors.js";
import { defineRoute, type RouteSpec } from "../http/route.js";
import { checkTeamsExchangeIds, withTeamsExchangeErrors } from "./teams-exchange-errors.js";
import type { TokenExchange } from "./token-exchange.js";

// Empty strings pass the schema: ACS answers them with its own messages (teams-exchange-errors.ts).
const teamsBody = z.object({
  token: z.string().max(16_384),
  appId: z.string().max(200),
  userId: z.string().max(200),
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
        checkTeamsExchangeIds(ctx.body);
        const issued = await withTeamsExchangeErrors(
          () => (ctx.body.token === "" ? Promise.reject(new AcsError("InvalidToken", "The Teams user token is empty.")) : exchange.exchangeTeamsToken(ctx.resource, ctx.body)),
          (reason) => ctx.annotate({ refusedBecause: reason }),
        );
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
