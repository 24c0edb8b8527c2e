/** Tables of sign-in, managed identity and the trusted authentication service (migration 0011-signin). */

/** Settings of a service principal as an application users sign in to. JSON arrays as text. */
export interface IdpAppRegistrationsTable {
  client_id: string;
  /** 1: no secret (PKCE required). */
  public_client: number;
  redirect_uris: string;
  /** Scope names under `api://<clientId>/` (e.g. access_as_user). */
  exposed_scopes: string;
  updated_at: number;
}

/** Authorization codes, single use, by SHA-256 of the code. */
export interface IdpAuthorizationCodesTable {
  code_hash: string;
  client_id: string;
  redirect_uri: string;
  user_object_id: string;
  scope: string;
  nonce: string | null;
  /** S256 challenge (base64url). */
  code_challenge: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** Refresh tokens, by SHA-256; each use rotates within a family, reuse revokes the family. */
export interface IdpRefreshTokensTable {
  token_hash: string;
  family_id: string;
  client_id: string;
  user_object_id: string;
  scope: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

/** Browser sessions of the sign-in page, by SHA-256 of the session id carried in the signed cookie. */
export interface IdpSessionsTable {
  id_hash: string;
  user_object_id: string;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
}

export interface IdpDeviceCodesTable {
  device_code_hash: string;
  user_code: string;
  client_id: string;
  scope: string;
  /** Set when a user approved the code on the device page. */
  user_object_id: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** The HMAC key of session cookies and CSRF tokens (shared by replicas). */
export interface IdpSigninKeysTable {
  id: string;
  secret: string;
  created_at: number;
}

/** A workload: what an identity header (or IMDS path secret) identifies; it may use several managed identities. */
export interface MiWorkloadsTable {
  id: string;
  name: string;
  header_hash: string;
  created_at: number;
}

export interface MiIdentitiesTable {
  object_id: string;
  workload_id: string;
  created_at: number;
}

/** Entra user (issuer + oid) → ACS identity, per resource: the trusted authentication service's mapping. */
export interface TrustedAuthMappingsTable {
  resource_id: string;
  issuer: string;
  tenant_id: string;
  object_id: string;
  identity_id: string;
  created_at: number;
}

/** Resources the trusted authentication service is enabled for: its API app and the scopes of the tokens it hands out. */
export interface TrustedAuthSettingsTable {
  resource_id: string;
  client_id: string;
  /** Space-separated user token scopes (default `chat voip`). */
  scopes: string;
  /** JSON array: the `aud` values accepted from trusted external issuers (their API app for this service). */
  external_audiences: string;
  created_at: number;
}

export interface SigninTables {
  idp_app_registrations: IdpAppRegistrationsTable;
  idp_authorization_codes: IdpAuthorizationCodesTable;
  idp_refresh_tokens: IdpRefreshTokensTable;
  idp_sessions: IdpSessionsTable;
  idp_device_codes: IdpDeviceCodesTable;
  idp_signin_keys: IdpSigninKeysTable;
  mi_workloads: MiWorkloadsTable;
  mi_identities: MiIdentitiesTable;
  trusted_auth_mappings: TrustedAuthMappingsTable;
  trusted_auth_settings: TrustedAuthSettingsTable;
}
