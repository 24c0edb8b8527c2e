/** Tables of the built-in authority (migration 0002-entra). Timestamps are epoch ms, booleans 0/1. */
export interface IdpTenantsTable {
  id: string;
  is_default: number;
  created_at: number;
}

/** The authority's token signing keys (RS256), published at its jwks_uri. */
export interface IdpSigningKeysTable {
  kid: string;
  alg: string;
  private_pem: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
}

/** Service principals and built-in users of the authority. */
export interface EntraPrincipalsTable {
  /** The `oid` claim of the principal's tokens. */
  object_id: string;
  tenant_id: string;
  kind: "service-principal" | "user" | "managed-identity";
  /** Display name; for users the sign-in name (`username` of the password grant). Unique per kind. */
  name: string;
  /** Service principals only. */
  client_id: string | null;
  enabled: number;
  /** Users only: scrypt hash of the password. */
  password_hash: string | null;
  /** Service principals with a certificate credential: the PEM certificate (public part only). */
  certificate_pem: string | null;
  created_at: number;
}

/** Client secrets, stored only as scrypt hashes. A principal may have several (rotation). */
export interface EntraClientSecretsTable {
  /** Public id, also the secret's prefix (`<id>~<random>`), so a presented secret names its row. */
  id: string;
  object_id: string;
  hash: string;
  created_at: number;
  expires_at: number | null;
}

/** The stable communication identity of each Entra user per resource (Entra user token exchange). */
export interface EntraUserIdentitiesTable {
  resource_id: string;
  issuer: string;
  object_id: string;
  identity_id: string;
  created_at: number;
}

export interface IdpTables {
  idp_tenants: IdpTenantsTable;
  idp_signing_keys: IdpSigningKeysTable;
  entra_principals: EntraPrincipalsTable;
  entra_client_secrets: EntraClientSecretsTable;
  entra_user_identities: EntraUserIdentitiesTable;
}
