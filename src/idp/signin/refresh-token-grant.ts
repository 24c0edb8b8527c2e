import type { RefreshTokens } from "./refresh-tokens.js";
import { entraFail, type EntraErrorName } from "../../errors/entra-errors.js";
import { authenticateSigninClient } from "./signin-client.js";
import { requireUser, type SigninGrant, type SigninGrantDeps } from "./signin-grant.js";
import { resolveUserScopes } from "./user-scopes.js";
import { userTokenResponse } from "./user-token-response.js";

const REASONS = {
  unknown: "RefreshTokenInvalid",
  expired: "RefreshTokenExpired",
  revoked: "RefreshTokenRevoked",
  reused: "RefreshTokenReused",
  client: "RefreshTokenOtherClient",
} as const satisfies Record<string, EntraErrorName>;

/**
 * grant_type=refresh_token: each refresh token is used once and answered with the next one of its family; a spent
 * one presented again revokes the family (the thief's and the owner's tokens alike).
 */
export function refreshTokenGrant(deps: SigninGrantDeps & { refreshTokens: RefreshTokens }): SigninGrant {
  return async (form, request) => {
    const { client, auth } = await authenticateSigninClient(form, deps.principals, deps.apps);
    request.annotate({ grant: "refresh_token", clientId: client.clientId! });
    if (form.refresh_token === undefined || form.refresh_token === "") {
      entraFail("MissingParameter", "refresh_token");
    }
    // A refresh may ask for another resource's scopes (MSAL does, per resource); the family keeps its first scope.
    // Asked-for scopes are checked before the token is spent, so a bad request does not cost the user their sign-in.
    const asked = form.scope !== undefined && form.scope.trim() !== "" ? await resolveUserScopes(form.scope, client.clientId!, deps.apps) : undefined;
    if (asked !== undefined && !asked.ok) throw asked.failure;
    const rotated = await deps.refreshTokens.rotate(form.refresh_token!, client.clientId!);
    if (!rotated.ok) return entraFail(REASONS[rotated.reason]);
    const user = await requireUser(deps.principals, rotated.grant.userObjectId);
    request.setSubject(`entra-user:${user.objectId}`);
    const scopes = asked ?? (await resolveUserScopes(rotated.grant.scope, client.clientId!, deps.apps));
    if (!scopes.ok) throw scopes.failure;
    return userTokenResponse(deps, {
      issuer: request.issuer,
      user,
      client,
      clientAuth: auth,
      scopes: { ...scopes, offlineAccess: true },
      scopeString: rotated.grant.scope,
      nonce: null,
      rotated: rotated.refreshToken,
    });
  };
}
