import type { Reply } from "../../http/route.js";
import type { Clock } from "../../util/clock.js";
import type { AuthorityKeys } from "../authority-keys.js";
import type { AuthorityTokens } from "../authority-tokens.js";
import type { PrincipalRecord } from "../entra-principals.js";
import type { RefreshTokens } from "./refresh-tokens.js";
import type { UserScopes } from "./user-scopes.js";

export interface UserTokenDeps {
  keys: AuthorityKeys;
  tokens: AuthorityTokens;
  refreshTokens: RefreshTokens;
  clock: Clock;
  idTokenLifetimeSec: number;
}

/** The ID token of a sign-in: who signed in, for which app (`aud`), with the request's nonce. */
export function issueIdToken(deps: UserTokenDeps, issuer: string, user: PrincipalRecord, clientId: string, nonce: string | null): string {
  const iat = Math.floor(deps.clock.now() / 1000);
  return deps.keys.sign({
    aud: clientId,
    iss: issuer,
    iat,
    nbf: iat,
    exp: iat + deps.idTokenLifetimeSec,
    name: user.name,
    oid: user.objectId,
    preferred_username: user.name,
    sub: user.objectId,
    tid: user.tenantId,
    ver: "2.0",
    ...(nonce !== null ? { nonce } : {}),
  });
}

/**
 * The token response of the user grants (authorization code, refresh token, device code): an access token, the ID
 * token when `openid` was asked for, a refresh token (the next of `rotated`'s family, or a new family) when
 * `offline_access` was, and client_info for MSAL's account.
 */
export async function userTokenResponse(
  deps: UserTokenDeps,
  options: {
    issuer: string;
    user: PrincipalRecord;
    client: PrincipalRecord;
    clientAuth: "public" | "secret";
    scopes: Extract<UserScopes, { ok: true }>;
    scopeString: string;
    nonce: string | null;
    rotated?: string;
  },
): Promise<Reply> {
  const { user, client, scopes } = options;
  const access = deps.tokens.issueAccessToken({ issuer: options.issuer, audience: scopes.audience, subject: user, client, scp: scopes.scp, clientAuth: options.clientAuth });
  const body: Record<string, unknown> = {
    token_type: "Bearer",
    scope: scopes.granted.join(" "),
    expires_in: access.expiresIn,
    ext_expires_in: access.expiresIn,
    access_token: access.token,
  };
  if (scopes.offlineAccess) {
    body.refresh_token =
      options.rotated ?? (await deps.refreshTokens.issue({ clientId: client.clientId!, userObjectId: user.objectId, scope: options.scopeString }));
  }
  if (scopes.openid) body.id_token = issueIdToken(deps, options.issuer, user, client.clientId!, options.nonce);
  body.client_info = Buffer.from(JSON.stringify({ uid: user.objectId, utid: user.tenantId })).toString("base64url");
  return { status: 200, body, headers: { "cache-control": "no-store", pragma: "no-cache" } };
}
