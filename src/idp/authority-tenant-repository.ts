import type { Store } from "../store/store.js";

/** Storage of the authority's tenants (`idp_tenants`): today one, the default. */
export class AuthorityTenantRepository {
  constructor(private readonly store: Store) {}

  async defaultTenantId(): Promise<string | undefined> {
    return (await this.store.db.selectFrom("idp_tenants").select("id").where("is_default", "=", 1).executeTakeFirst())?.id;
  }

  /**
   * Makes `id` the default tenant unless there is one already (several processes may start at once); returns the
   * default's id. The lock serialises racing first starts: without it, two PostgreSQL transactions could both find no
   * default and both insert one (READ COMMITTED; seen once in CI, test/store/signing-keys-and-first-start.test.ts).
   */
  async ensureDefault(id: string, now: number): Promise<string> {
    await this.store.write(async (trx, ctx) => {
      await ctx.lock("idp_tenants");
      const again = await trx.selectFrom("idp_tenants").select("id").where("is_default", "=", 1).executeTakeFirst();
      if (again === undefined) await trx.insertInto("idp_tenants").values({ id, is_default: 1, created_at: now }).execute();
    });
    return (await this.defaultTenantId())!;
  }
}
