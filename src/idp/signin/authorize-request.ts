import { EntraError, entraError } from "../../errors/entra-errors.js";
import type { EntraPrincipals, PrincipalRecord } from "../entra-principals.js";
import type { AppRegistration, AppRegistrations } from "./app-registrations.js";
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
  constructor(readonly failure: EntraError) {
    super(failure.description);
  }
}

/** Refused after: sent back to the redirect URI as `error`/`error_description`/`state`. */
export class AuthorizeRedirectError extends Error {
  constructor(
    readonly request: Pick<AuthorizeRequest, "redirectUri" | "responseMode" | "state">,
    readonly failure: EntraError,
  ) {
    super(failure.error);
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
    if (err instanceof EntraError) throw new AuthorizePageError(err);
    throw err;
  }
  const redirectUri = params.redirect_uri ?? "";
  if (!found.app.redirectUris.includes(redirectUri)) {
    throw new AuthorizePageError(entraError("RedirectUriMismatch", redirectUri, found.client.clientId!));
  }
  const rawMode = params.response_mode ?? "query";
  const responseMode: ResponseMode = rawMode === "fragment" || rawMode === "form_post" ? rawMode : "query";
  const state = params.state;
  const back = { redirectUri, responseMode, state };
  if (rawMode !== responseMode) throw new AuthorizeRedirectError(back, entraError("ResponseModeInvalid"));
  if (params.response_type !== "code") {
    throw new AuthorizeRedirectError(back, entraError("ResponseTypeUnsupported"));
  }
  const challenge = params.code_challenge;
  if (challenge !== undefined && challenge !== "") {
    if ((params.code_challenge_method ?? "plain") !== "S256") {
      throw new AuthorizeRedirectError(back, entraError("CodeChallengeMethodInvalid"));
    }
    if (!S256_CHALLENGE.test(challenge)) throw new AuthorizeRedirectError(back, entraError("CodeChallengeInvalid"));
  } else if (found.app.publicClient) {
    throw new AuthorizeRedirectError(back, entraError("PkceRequired"));
  }
  const scopes = await resolveUserScopes(params.scope, found.client.clientId!, apps);
  if (!scopes.ok) throw new AuthorizeRedirectError(back, scopes.failure);
  const prompt = params.prompt;
  if (prompt !== undefined && prompt !== "" && !["login", "none", "select_account", "consent"].includes(prompt)) {
    throw new AuthorizeRedirectError(back, entraError("PromptInvalid"));
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
