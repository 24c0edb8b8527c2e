import type { AuthorizationCodes } from "./authorization-codes.js";
import { refuse } from "./entra-reply.js";
import { authenticateSigninClient } from "./signin-client.js";
import { requireUser, type SigninGrant, type SigninGrantDeps } from "./signin-grant.js";
import { resolveUserScopes } from "./user-scopes.js";
import { userTokenResponse } from "./user-token-response.js";

const REASONS = {
  unknown: "AADSTS70000: The provided authorization code is invalid.",
  used: "AADSTS54005: OAuth2 Authorization code was already redeemed, please retry with a new valid code.",
  expired: "AADSTS70008: The provided authorization code or refresh token has expired.",
  client: "AADSTS70000: The authorization code was issued to another client.",
  "redirect-uri": "AADSTS70000: The redirect_uri does not match the one the authorization code was issued for.",
  "verifier-missing": "AADSTS50148: The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.",
  verifier: "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.",
} as const;

/** grant_type=authorization_code: a single-use code, for the client, redirect URI and PKCE verifier it was issued to. */
export function authorizationCodeGrant(deps: SigninGrantDeps & { codes: AuthorizationCodes }): SigninGrant {
  return async (form, request) => {
    const { client, auth } = await authenticateSigninClient(form, deps.principals, deps.apps);
    request.annotate({ grant: "authorization_code", clientId: client.clientId! });
    if (form.code === undefined || form.code === "") refuse("invalid_request", "AADSTS900144: The request body must contain the following parameter: 'code'.");
    if (form.redirect_uri === undefined) refuse("invalid_request", "AADSTS900144: The request body must contain the following parameter: 'redirect_uri'.");
    const redeemed = await deps.codes.redeem(form.code!, client.clientId!, form.redirect_uri!, form.code_verifier);
    if (!redeemed.ok) return refuse("invalid_grant", REASONS[redeemed.reason]);
    const user = await requireUser(deps.principals, redeemed.grant.userObjectId);
    request.setSubject(`entra-user:${user.objectId}`);
    const scopes = await resolveUserScopes(redeemed.grant.scope, client.clientId!, deps.apps);
    if (!scopes.ok) return refuse("invalid_scope", scopes.description);
    return userTokenResponse(deps, {
      issuer: request.issuer,
      user,
      client,
      clientAuth: auth,
      scopes,
      scopeString: redeemed.grant.scope,
      nonce: redeemed.grant.nonce,
    });
  };
}
