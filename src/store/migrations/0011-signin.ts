import type { Kysely } from "kysely";
import type { MigrationContext } from "./migration-context.js";

/**
 * Users sign in (issue 17): app registrations (redirect URIs, public clients, exposed scopes), authorization codes,
 * refresh tokens, sign-in sessions, device codes, managed identities and their workloads, and the trusted
 * authentication service's mappings. Every bearer secret (code, refresh token, session id, device code, identity
 * header) is stored only as its SHA-256 (they are 256-bit random values, so a fast hash is enough and allows lookup).
 */
export function signinMigration(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("idp_app_registrations")
        .addColumn("client_id", "text", (c) => c.primaryKey())
        .addColumn("public_client", "integer", (c) => c.notNull())
        .addColumn("redirect_uris", "text", (c) => c.notNull())
        .addColumn("exposed_scopes", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("idp_authorization_codes")
        .addColumn("code_hash", "text", (c) => c.primaryKey())
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("redirect_uri", "text", (c) => c.notNull())
        .addColumn("user_object_id", "text", (c) => c.notNull())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("nonce", "text")
        .addColumn("code_challenge", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .execute();

      await db.schema
        .createTable("idp_refresh_tokens")
        .addColumn("token_hash", "text", (c) => c.primaryKey())
        .addColumn("family_id", "text", (c) => c.notNull())
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("user_object_id", "text", (c) => c.notNull())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .addColumn("revoked_at", "bigint")
        .execute();
      await db.schema.createIndex("idp_refresh_tokens_family_idx").on("idp_refresh_tokens").column("family_id").execute();

      await db.schema
        .createTable("idp_sessions")
        .addColumn("id_hash", "text", (c) => c.primaryKey())
        .addColumn("user_object_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("ended_at", "bigint")
        .execute();

      await db.schema
        .createTable("idp_device_codes")
        .addColumn("device_code_hash", "text", (c) => c.primaryKey())
        .addColumn("user_code", "text", (c) => c.notNull().unique())
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("user_object_id", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .execute();

      await db.schema
        .createTable("idp_signin_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("secret", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("mi_workloads")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("header_hash", "text", (c) => c.notNull().unique())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("mi_identities")
        .addColumn("object_id", "text", (c) => c.primaryKey())
        .addColumn("workload_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("mi_identities_workload_idx").on("mi_identities").column("workload_id").execute();

      await db.schema
        .createTable("trusted_auth_mappings")
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("issuer", "text", (c) => c.notNull())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("object_id", "text", (c) => c.notNull())
        .addColumn("identity_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("trusted_auth_mappings_pk", ["resource_id", "issuer", "object_id"])
        .execute();

      await db.schema
        .createTable("trusted_auth_settings")
        .addColumn("resource_id", "text", (c) => c.primaryKey())
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("scopes", "text", (c) => c.notNull())
        .addColumn("external_audiences", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
    },
  };
}
