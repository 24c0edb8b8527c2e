import type { EntraPrincipals, PrincipalRecord } from "../entra-principals.js";
import type { AppRegistration, AppRegistrations } from "./app-registrations.js";
import { SigninFailure } from "./entra-reply.js";
import { findSigninApp } from "./signin-client.js";
import { resolveUserScopes } from "./user-scopes.js";

export type ResponseMode = "query" | "fragment" | "form_post";
export type Prompt = "login" | "none" | "select_account" | "consent" | undefined;

/** The parameters of an authorization request that the sign-in form carries from GET to POST. */
export const CARRIED = ["client_id", "redirect_uri", "response_type", "response_mode", "scope", "state", "nonce", "code_challenge", "code_challenge_method", "login_hint"] as const;

export interface AuthorizeRequest {
  client: PrincipalRecord;
  app: AppRegistration;
  redirectUri: string;
  responseMode: ResponseMode;
  scope: string;
  state: string | undefined;
  nonce: string | null;
  codeChallenge: string | null;
  prompt: Prompt;
  loginHint: string | undefined;
  carried: Record<string, string | undefined>;
}

/** Refused before the redirect URI is known to be the app's: an error page, never a redirect. */
export class AuthorizePageError extends Error {
  constructor(readonly description: string) {
    super(description);
  }
}

/** Refused after: sent back to the redirect URI as `error`/`error_description`/`state`. */
export class AuthorizeRedirectError extends Error {
  constructor(
    readonly request: Pick<AuthorizeRequest, "redirectUri" | "responseMode" | "state">,
    readonly error: string,
    readonly description: string,
  ) {
    super(error);
  }
}

const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** Reads and checks an authorization request (GET query or the sign-in form's POST). */
export async function readAuthorizeRequest(
  params: Record<string, string | undefined>,
  principals: EntraPrincipals,
  apps: AppRegistrations,
): Promise<AuthorizeRequest> {
  let found: Awaited<ReturnType<typeof findSigninApp>>;
  try {
    found = await findSigninApp(params.client_id, principals, apps);
  } catch (err) {
    if (err instanceof SigninFailure) throw new AuthorizePageError(err.description);
    throw err;
  }
  const redirectUri = params.redirect_uri ?? "";
  if (!found.app.redirectUris.includes(redirectUri)) {
    throw new AuthorizePageError(
      `AADSTS50011: The redirect URI '${redirectUri.slice(0, 300)}' specified in the request does not match the redirect URIs configured for the application '${found.client.clientId}'.`,
    );
  }
  const rawMode = params.response_mode ?? "query";
  const responseMode: ResponseMode = rawMode === "fragment" || rawMode === "form_post" ? rawMode : "query";
  const state = params.state;
  const back = { redirectUri, responseMode, state };
  if (rawMode !== responseMode) throw new AuthorizeRedirectError(back, "invalid_request", "AADSTS900144: response_mode must be query, fragment or form_post.");
  if (params.response_type !== "code") {
    throw new AuthorizeRedirectError(back, "unsupported_response_type", "AADSTS700054: response_type must be 'code'.");
  }
  const challenge = params.code_challenge;
  if (challenge !== undefined && challenge !== "") {
    if ((params.code_challenge_method ?? "plain") !== "S256") {
      throw new AuthorizeRedirectError(back, "invalid_request", "AADSTS501491: code_challenge_method must be S256.");
    }
    if (!S256_CHALLENGE.test(challenge)) throw new AuthorizeRedirectError(back, "invalid_request", "AADSTS501491: Invalid size of Code_Challenge parameter.");
  } else if (found.app.publicClient) {
    throw new AuthorizeRedirectError(back, "invalid_request", "AADSTS9002325: Proof Key for Code Exchange is required for public clients.");
  }
  const scopes = await resolveUserScopes(params.scope, found.client.clientId!, apps);
  if (!scopes.ok) throw new AuthorizeRedirectError(back, "invalid_scope", scopes.description);
  const prompt = params.prompt;
  if (prompt !== undefined && prompt !== "" && !["login", "none", "select_account", "consent"].includes(prompt)) {
    throw new AuthorizeRedirectError(back, "invalid_request", "AADSTS90023: prompt must be login, none, select_account or consent.");
  }
  const carried = Object.fromEntries(CARRIED.map((k) => [k, params[k]]));
  return {
    ...found,
    redirectUri,
    responseMode,
    scope: params.scope!,
    state,
    nonce: params.nonce === undefined || params.nonce === "" ? null : params.nonce.slice(0, 500),
    codeChallenge: challenge === undefined || challenge === "" ? null : challenge,
    prompt: (prompt === "" ? undefined : prompt) as Prompt,
    loginHint: params.login_hint,
    carried,
  };
}
