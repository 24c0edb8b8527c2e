import { randomUUID } from "node:crypto";
import { KeyRing } from "../keys/key-ring.js";
import { AuthorityTenantRepository } from "./authority-tenant-repository.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";

/** RS256: what Entra ID signs with, and what every relying party's JWT library verifies. */
export const AUTHORITY_ALG = "RS256";
export const AUTHORITY_KEY_CHANGED = "idp-signing-key";
/** A retired key stays published this long (longer than any access token the authority issues). */
const RETIRED_KEY_PUBLISHED_MS = 25 * 60 * 60_000;

/**
 * The built-in authority's tenant and its own token signing keys (`idp_signing_keys`), persisted in the store so
 * tokens survive a restart and every replica signs and verifies alike. Distinct from the user-token keys
 * (SigningKeyRing).
 */
export class AuthorityKeys extends KeyRing {
  private tenant: string | undefined;
  private readonly tenants: AuthorityTenantRepository;

  constructor(store: Store, clock: Clock) {
    super(store, clock, {
      table: "idp_signing_keys",
      alg: AUTHORITY_ALG,
      changeTopic: AUTHORITY_KEY_CHANGED,
      publishedAfterRetirementMs: RETIRED_KEY_PUBLISHED_MS,
    });
    this.tenants = new AuthorityTenantRepository(store);
  }

  /** Creates the default tenant (with `pinnedTenantId` if given) and a signing key on first start; loads them otherwise. */
  async ensure(pinnedTenantId?: string): Promise<void> {
    this.tenant = (await this.tenants.defaultTenantId()) ?? (await this.tenants.ensureDefault(pinnedTenantId ?? randomUUID(), this.clock.now()));
    await this.ensureKey();
  }

  get tenantId(): string {
    if (this.tenant === undefined) throw new Error("authority not initialised");
    return this.tenant;
  }
}
