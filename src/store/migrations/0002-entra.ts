import type { Kysely } from "kysely";
import type { MigrationContext } from "./migration-context.js";

/** The built-in authority (tenant, signing keys, principals, client secrets), Entra user mappings, and RBAC. */
export function entraMigration(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("idp_tenants")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("is_default", "integer", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("idp_signing_keys")
        .addColumn("kid", "text", (c) => c.primaryKey())
        .addColumn("alg", "text", (c) => c.notNull())
        .addColumn("private_pem", "text", (c) => c.notNull())
        .addColumn("public_jwk", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("retired_at", "bigint")
        .execute();

      await db.schema
        .createTable("entra_principals")
        .addColumn("object_id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("client_id", "text", (c) => c.unique())
        .addColumn("enabled", "integer", (c) => c.notNull())
        .addColumn("password_hash", "text")
        .addColumn("certificate_pem", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("entra_principals_kind_name_uq", ["kind", "name"])
        .execute();

      await db.schema
        .createTable("entra_client_secrets")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("object_id", "text", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint")
        .execute();
      await db.schema.createIndex("entra_client_secrets_owner_idx").on("entra_client_secrets").column("object_id").execute();

      await db.schema
        .createTable("entra_user_identities")
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("issuer", "text", (c) => c.notNull())
        .addColumn("object_id", "text", (c) => c.notNull())
        .addColumn("identity_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("entra_user_identities_pk", ["resource_id", "issuer", "object_id"])
        .execute();

      await db.schema
        .createTable("rbac_role_definitions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("permissions", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("rbac_role_assignments")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("principal_id", "text", (c) => c.notNull())
        .addColumn("role_name", "text", (c) => c.notNull())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("rbac_role_assignments_uq", ["principal_id", "role_name", "scope"])
        .execute();
    },
  };
}
