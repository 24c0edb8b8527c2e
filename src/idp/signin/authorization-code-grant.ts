import type { AuthorizationCodes } from "./authorization-codes.js";
import { entraFail, type EntraErrorName } from "../../errors/entra-errors.js";
import { authenticateSigninClient } from "./signin-client.js";
import { requireUser, type SigninGrant, type SigninGrantDeps } from "./signin-grant.js";
import { resolveUserScopes } from "./user-scopes.js";
import { userTokenResponse } from "./user-token-response.js";

const REASONS = {
  unknown: "AuthorizationCodeInvalid",
  used: "AuthorizationCodeRedeemed",
  expired: "AuthorizationCodeExpired",
  client: "AuthorizationCodeOtherClient",
  "redirect-uri": "AuthorizationCodeRedirectMismatch",
  "verifier-missing": "CodeVerifierMissing",
  verifier: "CodeVerifierMismatch",
} as const satisfies Record<string, EntraErrorName>;

/** grant_type=authorization_code: a single-use code, for the client, redirect URI and PKCE verifier it was issued to. */
export function authorizationCodeGrant(deps: SigninGrantDeps & { codes: AuthorizationCodes }): SigninGrant {
  return async (form, request) => {
    const { client, auth } = await authenticateSigninClient(form, deps.principals, deps.apps);
    request.annotate({ grant: "authorization_code", clientId: client.clientId! });
    if (form.code === undefined || form.code === "") entraFail("MissingParameter", "code");
    if (form.redirect_uri === undefined) entraFail("MissingParameter", "redirect_uri");
    const redeemed = await deps.codes.redeem(form.code!, client.clientId!, form.redirect_uri!, form.code_verifier);
    if (!redeemed.ok) return entraFail(REASONS[redeemed.reason]);
    const user = await requireUser(deps.principals, redeemed.grant.userObjectId);
    request.setSubject(`entra-user:${user.objectId}`);
    const scopes = await resolveUserScopes(redeemed.grant.scope, client.clientId!, deps.apps);
    if (!scopes.ok) throw scopes.failure;
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
