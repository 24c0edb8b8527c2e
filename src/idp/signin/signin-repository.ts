import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import type { Store } from "../../store/store.js";
import type {
  IdpAppRegistrationsTable,
  IdpAuthorizationCodesTable,
  IdpDeviceCodesTable,
  IdpRefreshTokensTable,
  IdpSessionsTable,
} from "./signin-tables.js";

/*
 * Storage of the sign-in flows (src/idp/signin/): one repository per table. Secrets (codes, tokens, session ids) are
 * stored and looked up by their SHA-256 only; the services hash them. Methods taking `db` join the caller's write.
 */

/** idp_authorization_codes: single-use codes. */
export class AuthorizationCodeRepository {
  constructor(private readonly store: Store) {}

  /** Stores a code and drops the codes that expired before `purgeExpiredBefore`, in one write. */
  async insert(row: IdpAuthorizationCodesTable, purgeExpiredBefore: number): Promise<void> {
    await this.store.write(async (trx) => {
      await trx.insertInto("idp_authorization_codes").values(row).execute();
      await trx.deleteFrom("idp_authorization_codes").where("expires_at", "<", purgeExpiredBefore).execute();
    });
  }

  /**
   * Marks the code used at `now` unless it already was: `claimed` is true for exactly one caller, however many
   * redeem it at once. Undefined for an unknown code. The row is returned as it was before the claim.
   */
  async claim(codeHash: string, now: number): Promise<{ row: IdpAuthorizationCodesTable; claimed: boolean } | undefined> {
    return this.store.write(async (trx) => {
      const row = await trx.selectFrom("idp_authorization_codes").selectAll().where("code_hash", "=", codeHash).executeTakeFirst();
      if (row === undefined) return undefined;
      if (row.used_at !== null) return { row, claimed: false };
      const result = await trx.updateTable("idp_authorization_codes").set({ used_at: now }).where("code_hash", "=", codeHash).where("used_at", "is", null).executeTakeFirst();
      return { row, claimed: Number(result.numUpdatedRows) === 1 };
    });
  }
}

/** idp_refresh_tokens: rotating tokens in families. */
export class RefreshTokenRepository {
  constructor(private readonly store: Store) {}

  async insert(row: IdpRefreshTokensTable, db?: Kysely<Database>): Promise<void> {
    if (db !== undefined) await db.insertInto("idp_refresh_tokens").values(row).execute();
    else await this.store.write((trx) => trx.insertInto("idp_refresh_tokens").values(row).execute());
  }

  async find(tokenHash: string, db: Kysely<Database> = this.store.db): Promise<IdpRefreshTokensTable | undefined> {
    return db.selectFrom("idp_refresh_tokens").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
  }

  /** Spends the token: true for exactly one caller. */
  async markUsed(db: Kysely<Database>, tokenHash: string, now: number): Promise<boolean> {
    const result = await db.updateTable("idp_refresh_tokens").set({ used_at: now }).where("token_hash", "=", tokenHash).where("used_at", "is", null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Revokes every live token of a family; returns how many. */
  async revokeFamily(db: Kysely<Database>, familyId: string, now: number): Promise<number> {
    const result = await db.updateTable("idp_refresh_tokens").set({ revoked_at: now }).where("family_id", "=", familyId).where("revoked_at", "is", null).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

/** idp_device_codes: the device's secret (hashed) and the short code a user types. */
export class DeviceCodeRepository {
  constructor(private readonly store: Store) {}

  /** Stores a code and drops the codes that expired before `purgeExpiredBefore`, in one write. */
  async insert(row: IdpDeviceCodesTable, purgeExpiredBefore: number): Promise<void> {
    await this.store.write(async (trx) => {
      await trx.deleteFrom("idp_device_codes").where("expires_at", "<", purgeExpiredBefore).execute();
      await trx.insertInto("idp_device_codes").values(row).execute();
    });
  }

  async findByUserCode(userCode: string): Promise<IdpDeviceCodesTable | undefined> {
    return this.store.db.selectFrom("idp_device_codes").selectAll().where("user_code", "=", userCode).executeTakeFirst();
  }

  async findByHash(deviceCodeHash: string, db: Kysely<Database> = this.store.db): Promise<IdpDeviceCodesTable | undefined> {
    return db.selectFrom("idp_device_codes").selectAll().where("device_code_hash", "=", deviceCodeHash).executeTakeFirst();
  }

  /** Approves a code not yet approved and not expired at `now`: true for exactly one caller. */
  async approve(userCode: string, userObjectId: string, now: number): Promise<boolean> {
    return this.store.write(async (trx) => {
      const result = await trx
        .updateTable("idp_device_codes")
        .set({ user_object_id: userObjectId })
        .where("user_code", "=", userCode)
        .where("user_object_id", "is", null)
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
  }

  /** Hands the approved code out: true for exactly one caller. */
  async markUsed(db: Kysely<Database>, deviceCodeHash: string, now: number): Promise<boolean> {
    const result = await db.updateTable("idp_device_codes").set({ used_at: now }).where("device_code_hash", "=", deviceCodeHash).where("used_at", "is", null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

/** idp_sessions: browser sessions of the sign-in pages. */
export class SigninSessionRepository {
  constructor(private readonly store: Store) {}

  async insert(row: IdpSessionsTable): Promise<void> {
    await this.store.write((trx) => trx.insertInto("idp_sessions").values(row).execute());
  }

  async find(idHash: string): Promise<IdpSessionsTable | undefined> {
    return this.store.db.selectFrom("idp_sessions").selectAll().where("id_hash", "=", idHash).executeTakeFirst();
  }

  /** Ends the session (everywhere: the row is what every replica reads). */
  async end(idHash: string, now: number): Promise<void> {
    await this.store.write((trx) => trx.updateTable("idp_sessions").set({ ended_at: now }).where("id_hash", "=", idHash).execute());
  }
}

/** idp_app_registrations: how a service principal works as an application users sign in to. */
export class AppRegistrationRepository {
  constructor(private readonly store: Store) {}

  async find(clientId: string): Promise<IdpAppRegistrationsTable | undefined> {
    return this.store.db.selectFrom("idp_app_registrations").selectAll().where("client_id", "=", clientId).executeTakeFirst();
  }

  /** The `redirect_uris` column (a JSON list) of every registration. */
  async redirectUriLists(): Promise<string[]> {
    return (await this.store.db.selectFrom("idp_app_registrations").select("redirect_uris").execute()).map((r) => r.redirect_uris);
  }

  /** Inserts or replaces the registration of `row.client_id`. */
  async save(row: IdpAppRegistrationsTable): Promise<void> {
    await this.store.write(async (trx) => {
      await trx.deleteFrom("idp_app_registrations").where("client_id", "=", row.client_id).execute();
      await trx.insertInto("idp_app_registrations").values(row).execute();
    });
  }
}

/** idp_signin_keys: the cookie HMAC key, one per database. */
export class SigninKeyRepository {
  constructor(private readonly store: Store) {}

  async secret(id: string): Promise<string | undefined> {
    return (await this.store.db.selectFrom("idp_signin_keys").select("secret").where("id", "=", id).executeTakeFirst())?.secret;
  }

  /** Stores `secret` under `id` unless a key is there already (several processes may start at once); returns the key that holds. */
  async insertIfMissing(id: string, secret: string, now: number): Promise<string> {
    await this.store.write(async (trx, ctx) => {
      await ctx.lock("idp_signin_keys");
      const again = await trx.selectFrom("idp_signin_keys").select("id").where("id", "=", id).executeTakeFirst();
      if (again === undefined) await trx.insertInto("idp_signin_keys").values({ id, secret, created_at: now }).execute();
    });
    return (await this.secret(id))!;
  }
}
