import type { Store } from "../store/store.js";

/** One stored signing key: the columns every ring's table has. */
export interface StoredSigningKey {
  kid: string;
  alg: string;
  privatePem: string;
  /** The public JWK as JSON text. */
  publicJwk: string;
  createdAt: number;
  retiredAt: number | null;
}

/** Storage of one ring of signing keys (`signing_keys` for user tokens, `idp_signing_keys` for the authority). */
export class SigningKeyRepository {
  constructor(
    private readonly store: Store,
    // The rings' tables have the same columns; the name is one of them.
    private readonly table: "signing_keys" | "idp_signing_keys",
  ) {}

  /** Every key of the ring, oldest first. */
  async list(): Promise<StoredSigningKey[]> {
    const rows = await this.store.db
      .selectFrom(this.table as "signing_keys")
      .selectAll()
      .orderBy("created_at")
      .execute();
    return rows.map((row) => ({
      kid: row.kid,
      alg: row.alg,
      privatePem: row.private_pem,
      publicJwk: row.public_jwk,
      createdAt: Number(row.created_at),
      retiredAt: row.retired_at === null ? null : Number(row.retired_at),
    }));
  }

  /**
   * Retires the active key and stores `key` as the new active one, under the ring's lock, announcing `changeTopic`.
   * With `onlyIfNone`, does nothing (returns false) when an active key already exists.
   */
  async rotate(key: Omit<StoredSigningKey, "retiredAt">, changeTopic: string, options: { onlyIfNone?: boolean } = {}): Promise<boolean> {
    const table = this.table as "signing_keys";
    return this.store.write(async (trx, ctx) => {
      await ctx.lock(changeTopic);
      if (options.onlyIfNone === true) {
        const active = await trx.selectFrom(table).select("kid").where("retired_at", "is", null).executeTakeFirst();
        if (active !== undefined) return false;
      }
      await trx.updateTable(table).set({ retired_at: key.createdAt }).where("retired_at", "is", null).execute();
      await trx
        .insertInto(table)
        .values({ kid: key.kid, alg: key.alg, private_pem: key.privatePem, public_jwk: key.publicJwk, created_at: key.createdAt, retired_at: null })
        .execute();
      ctx.emit({ topic: changeTopic, subject: key.kid });
      return true;
    });
  }
}
