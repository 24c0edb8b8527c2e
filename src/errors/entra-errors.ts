import { randomUUID } from "node:crypto";

/**
 * The Entra ID (AADSTS) error catalogue: every refusal of the built-in authority (token endpoint, device code,
 * authorize, userinfo, managed identity) is one named entry with its OAuth `error`, its AADSTS number (null when
 * Entra ID answers without one) and its message. `renderEntraError` is the one renderer of the wire bodies MSAL and
 * @azure/identity parse. The ACS dialect is `acs-errors.ts`.
 */

type Message = string | ((...args: never[]) => string);

interface Entry {
  /** The OAuth 2.0 `error` (RFC 6749 §5.2 and Entra ID's extensions). */
  error: string;
  aadsts: number | null;
  message: Message;
  /** Default: 401 for invalid_client, 400 otherwise. */
  status?: number;
}

const clientNotFound = (clientId: string) => `Application with identifier '${clientId.slice(0, 64)}' was not found in the directory.`;
const appDisabled = (clientId: string) => `Application '${clientId}' is disabled.`;
const missing = (parameter: string) => `The request body must contain the following parameter: '${parameter}'.`;
const lockedOut = (retryAfterSec: number) =>
  `The account is locked because of too many sign-in attempts with an incorrect secret or password. Retry after ${retryAfterSec} seconds.`;
const ONE_RESOURCE = "Provide a value for the input parameter scope that names only one resource.";

export const entraCatalogue = {
  // --- the authority: tenant, transport, throttling ---
  HttpsOnly: { error: "invalid_request", aadsts: 90010, message: "The authority is served over HTTPS only." },
  TenantNotFound: { error: "invalid_request", aadsts: 90002, message: (tenant: string) => `Tenant '${tenant.slice(0, 64)}' not found.` },
  /** The device code endpoint answers a wrong tenant and plain HTTP alike. */
  TenantNotFoundOrHttp: { error: "invalid_request", aadsts: 90002, message: "Tenant not found (the authority is served over HTTPS only)." },
  /** The device login page (HTML). */
  TenantNotFoundPage: { error: "invalid_request", aadsts: 90002, message: "Tenant not found." },
  AccountLocked: { error: "invalid_grant", aadsts: 50053, message: lockedOut, status: 429 },
  HashQueueFull: { error: "temporarily_unavailable", aadsts: 50196, message: "Too many requests are being checked at once. Retry shortly.", status: 429 },
  /** The sign-in pages' wording of HashQueueFull. */
  SigninHashQueueFull: { error: "temporarily_unavailable", aadsts: 50196, message: "Too many sign-in attempts are being checked at once. Retry shortly.", status: 429 },
  // --- request parameters ---
  MissingParameter: { error: "invalid_request", aadsts: 900144, message: missing },
  UnsupportedGrantType: {
    error: "unsupported_grant_type",
    aadsts: 70003,
    message: (grant: string) => `The app requested an unsupported grant type '${grant.slice(0, 40)}'.`,
  },
  InvalidClientAssertionType: {
    error: "invalid_request",
    aadsts: 50027,
    message: "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
  },
  // --- client authentication ---
  /** client_credentials with a secret or an assertion: the client is unknown. */
  ClientNotFound: { error: "invalid_client", aadsts: 700016, message: clientNotFound },
  /** The password grant and the sign-in flows: no application with this client id. */
  ApplicationNotFound: { error: "unauthorized_client", aadsts: 700016, message: clientNotFound },
  ClientDisabled: { error: "invalid_client", aadsts: 7000112, message: appDisabled },
  ApplicationDisabled: { error: "unauthorized_client", aadsts: 7000112, message: appDisabled },
  ClientSecretExpired: {
    error: "invalid_client",
    aadsts: 7000222,
    message: (clientId: string) => `The provided client secret keys for app '${clientId}' are expired.`,
  },
  InvalidClientSecret: {
    error: "invalid_client",
    aadsts: 7000215,
    message: (clientId: string) =>
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
  },
  /** The user grants' (shorter) wording of InvalidClientSecret. */
  InvalidSigninClientSecret: {
    error: "invalid_client",
    aadsts: 7000215,
    message: (clientId: string) => `Invalid client secret provided for app '${clientId}'.`,
  },
  ClientCredentialMissing: { error: "invalid_client", aadsts: 7000218, message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'." },
  SigninAssertionNotAccepted: { error: "invalid_client", aadsts: 700025, message: "Sign-in grants take a client secret (or none, for a public client)." },
  SigninNotConfigured: {
    error: "unauthorized_client",
    aadsts: 700054,
    message: (clientId: string) => `Application '${clientId}' has no redirect URIs or scopes for user sign-in (switchboard sp update --redirect-uri).`,
  },
  // --- client assertions (certificate credential) ---
  NoCertificateCredential: { error: "invalid_client", aadsts: 700027, message: "The client has no certificate credential registered." },
  CertificateExpired: { error: "invalid_client", aadsts: 700027, message: "The registered certificate has expired." },
  AssertionSignatureInvalid: {
    error: "invalid_client",
    aadsts: 700027,
    message: (reason: string) => `Client assertion failed signature validation (${reason}).`,
  },
  AssertionOutOfTimeRange: { error: "invalid_client", aadsts: 700024, message: "Client assertion is not within its valid time range." },
  AssertionAudienceInvalid: { error: "invalid_client", aadsts: 700026, message: "Client assertion audience is not the token endpoint." },
  AssertionSubjectMismatch: { error: "invalid_client", aadsts: 700021, message: "Client assertion subject does not match client_id." },
  // --- scopes ---
  ScopeMissing: { error: "invalid_scope", aadsts: 90014, message: "The request body must contain the 'scope' parameter." },
  /** The user flows' wording of ScopeMissing. */
  ScopeParameterMissing: { error: "invalid_scope", aadsts: 900144, message: missing("scope") },
  ScopeResourceNotFound: {
    error: "invalid_scope",
    aadsts: 500011,
    message: (scope: string) => `The resource principal named ${scope.slice(0, 200)} was not found in the tenant.`,
  },
  ScopeNamesSeveralResources: { error: "invalid_scope", aadsts: 28000, message: ONE_RESOURCE },
  ScopeNotDefault: {
    error: "invalid_scope",
    aadsts: 1002012,
    message: (scope: string) =>
      `The provided value for scope ${scope.slice(0, 200)} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`,
  },
  ScopeValueInvalid: { error: "invalid_scope", aadsts: 70011, message: "The provided value for the input parameter 'scope' is not valid." },
  ScopeNotExposed: {
    error: "invalid_scope",
    aadsts: 65005,
    message: (scope: string) => `The application asked for scope '${scope.slice(0, 200)}' that doesn't exist on the resource.`,
  },
  NoExposedScopes: { error: "invalid_scope", aadsts: 65005, message: (apiClientId: string) => `The resource api://${apiClientId} exposes no scopes.` },
  // --- users ---
  InvalidUserCredentials: { error: "invalid_grant", aadsts: 50126, message: "Error validating credentials due to invalid username or password." },
  UserDisabled: { error: "invalid_grant", aadsts: 50057, message: "The user account is disabled." },
  UserNotFound: { error: "invalid_grant", aadsts: 50034, message: "The user account does not exist in this directory." },
  // --- authorization codes ---
  AuthorizationCodeInvalid: { error: "invalid_grant", aadsts: 70000, message: "The provided authorization code is invalid." },
  AuthorizationCodeRedeemed: { error: "invalid_grant", aadsts: 54005, message: "OAuth2 Authorization code was already redeemed, please retry with a new valid code." },
  AuthorizationCodeExpired: { error: "invalid_grant", aadsts: 70008, message: "The provided authorization code or refresh token has expired." },
  AuthorizationCodeOtherClient: { error: "invalid_grant", aadsts: 70000, message: "The authorization code was issued to another client." },
  AuthorizationCodeRedirectMismatch: { error: "invalid_grant", aadsts: 70000, message: "The redirect_uri does not match the one the authorization code was issued for." },
  CodeVerifierMissing: {
    error: "invalid_grant",
    aadsts: 50148,
    message: "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.",
  },
  CodeVerifierMismatch: { error: "invalid_grant", aadsts: 501481, message: "The Code_Verifier does not match the code_challenge supplied in the authorization request." },
  // --- refresh tokens ---
  RefreshTokenInvalid: { error: "invalid_grant", aadsts: 9002313, message: "Invalid request. The refresh token is malformed or not valid." },
  RefreshTokenExpired: { error: "invalid_grant", aadsts: 700082, message: "The refresh token has expired due to inactivity." },
  RefreshTokenRevoked: { error: "invalid_grant", aadsts: 50173, message: "The provided grant has been revoked." },
  RefreshTokenReused: { error: "invalid_grant", aadsts: 50173, message: "The refresh token was already used: every token of its sign-in has been revoked." },
  RefreshTokenOtherClient: { error: "invalid_grant", aadsts: 700005, message: "The refresh token was issued to another client." },
  // --- device codes ---
  AuthorizationPending: { error: "authorization_pending", aadsts: 70016, message: "OAuth 2.0 device flow error. Authorization is pending. Continue polling." },
  DeviceCodeExpired: { error: "expired_token", aadsts: 70019, message: "Verification code expired." },
  DeviceCodeRedeemed: { error: "invalid_grant", aadsts: 54005, message: "The device code was already redeemed." },
  DeviceCodeInvalid: { error: "invalid_grant", aadsts: 70000, message: "The provided device code is invalid." },
  // --- the authorize endpoint (an error page before the redirect URI is trusted, a redirect after) ---
  RedirectUriMismatch: {
    error: "invalid_request",
    aadsts: 50011,
    message: (redirectUri: string, clientId: string) =>
      `The redirect URI '${redirectUri.slice(0, 300)}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
  },
  ResponseModeInvalid: { error: "invalid_request", aadsts: 900144, message: "response_mode must be query, fragment or form_post." },
  ResponseTypeUnsupported: { error: "unsupported_response_type", aadsts: 700054, message: "response_type must be 'code'." },
  CodeChallengeMethodInvalid: { error: "invalid_request", aadsts: 501491, message: "code_challenge_method must be S256." },
  CodeChallengeInvalid: { error: "invalid_request", aadsts: 501491, message: "Invalid size of Code_Challenge parameter." },
  PkceRequired: { error: "invalid_request", aadsts: 9002325, message: "Proof Key for Code Exchange is required for public clients." },
  PromptInvalid: { error: "invalid_request", aadsts: 90023, message: "prompt must be login, none, select_account or consent." },
  LoginRequired: { error: "login_required", aadsts: 50058, message: "A silent sign-in request was sent but no user is signed in." },
  // --- userinfo (RFC 6750 invalid_token) ---
  UserinfoTokenMissing: { error: "invalid_token", aadsts: null, message: "A bearer access token is required.", status: 401 },
  UserinfoTokenMalformed: { error: "invalid_token", aadsts: null, message: "The access token is malformed.", status: 401 },
  UserinfoTokenInvalid: { error: "invalid_token", aadsts: null, message: "The access token is not valid for userinfo.", status: 401 },
  // --- managed identity (App Service and IMDS protocols) ---
  MiApiVersionInvalid: { error: "invalid_request", aadsts: null, message: "api-version must be 2019-08-01 (App Service) or 2018-02-01 (IMDS)." },
  MiResourceMissing: { error: "invalid_request", aadsts: null, message: "Required query parameter resource is missing." },
  MiResourceNotFound: {
    error: "invalid_resource",
    aadsts: 500011,
    message: (resource: string) => `The resource principal named ${resource.slice(0, 200)} was not found in the tenant.`,
  },
  MiMetadataHeaderMissing: { error: "invalid_request", aadsts: null, message: "Required metadata header not specified." },
  MiIdentityHeaderMissing: { error: "unauthorized_client", aadsts: null, message: "The X-IDENTITY-HEADER header is missing.", status: 401 },
  MiUnknownWorkload: { error: "unauthorized_client", aadsts: null, message: "The identity header does not belong to any workload.", status: 401 },
  MiImdsNeedsWorkload: {
    error: "unauthorized_client",
    aadsts: null,
    message: "Set AZURE_POD_IDENTITY_AUTHORITY_HOST to the workload's endpoint (https://<host>:<port>/mi/<identity header>).",
    status: 401,
  },
  MiIdentityNotFound: {
    error: "invalid_request",
    aadsts: null,
    message: "Identity not found: the workload may not use the managed identity named in client_id, object_id or mi_res_id.",
  },
  MiIdentityDisabled: { error: "invalid_request", aadsts: null, message: "The managed identity is disabled." },
} as const satisfies Record<string, Entry>;

export type EntraErrorName = keyof typeof entraCatalogue;
type MessageArgs<K extends EntraErrorName> = (typeof entraCatalogue)[K]["message"] extends (...args: infer A) => string ? A : [];

/** `AADSTSnnnn: message`, or the message alone for an entry without an AADSTS number. */
export function entraDescription<K extends EntraErrorName>(name: K, ...args: MessageArgs<K>): string {
  const entry: Entry = entraCatalogue[name];
  const message = typeof entry.message === "string" ? entry.message : (entry.message as (...a: unknown[]) => string)(...args);
  return entry.aadsts === null ? message : `AADSTS${entry.aadsts}: ${message}`;
}

/** A refusal of the authority. Throw it from any step; the endpoint renders it once with `renderEntraError`. */
export class EntraError extends Error {
  readonly entry: EntraErrorName;
  /** The OAuth `error`. */
  readonly error: string;
  readonly aadsts: number | null;
  readonly description: string;
  readonly status: number;
  retryAfterSec: number | undefined;
  headers: Record<string, string> = {};

  constructor(name: EntraErrorName, description: string) {
    super(description);
    const entry: Entry = entraCatalogue[name];
    this.name = "EntraError";
    this.entry = name;
    this.error = entry.error;
    this.aadsts = entry.aadsts;
    this.description = description;
    this.status = entry.status ?? (entry.error === "invalid_client" ? 401 : 400);
  }

  /** What the request log line and the metrics record: `AADSTS7000215`, or the OAuth error when there is no number. */
  get logCode(): string {
    return this.aadsts === null ? this.error : `AADSTS${this.aadsts}`;
  }

  /** Adds Retry-After (throttling answers). */
  retryAfter(sec: number): this {
    this.retryAfterSec = sec;
    return this;
  }
}

export function entraError<K extends EntraErrorName>(name: K, ...args: MessageArgs<K>): EntraError {
  return new EntraError(name, entraDescription(name, ...args));
}

/** Throws the named refusal (for expressions: `x ?? entraFail(...)`). */
export function entraFail<K extends EntraErrorName>(name: K, ...args: MessageArgs<K>): never {
  throw entraError(name, ...args);
}

/**
 * The one renderer. `oauth` (token, device code endpoints): the body MSAL parses,
 * `{"error","error_description","error_codes","timestamp","trace_id","correlation_id"}`. `brief` (managed identity,
 * userinfo): `{"error","error_description"}`, as those endpoints answer. Always `Cache-Control: no-store`.
 */
export function renderEntraError(
  failure: EntraError,
  now: number,
  shape: "oauth" | "brief" = "oauth",
): { status: number; headers: Record<string, string>; body: Record<string, unknown> } {
  const headers: Record<string, string> = {
    "cache-control": "no-store",
    ...(failure.retryAfterSec !== undefined ? { "retry-after": String(failure.retryAfterSec) } : {}),
    ...failure.headers,
  };
  if (shape === "brief") return { status: failure.status, headers, body: { error: failure.error, error_description: failure.description } };
  return {
    status: failure.status,
    headers,
    body: {
      error: failure.error,
      error_description: failure.description,
      error_codes: failure.aadsts === null ? [] : [failure.aadsts],
      timestamp: new Date(now).toISOString().replace("T", " ").slice(0, 19) + "Z",
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    },
  };
}
