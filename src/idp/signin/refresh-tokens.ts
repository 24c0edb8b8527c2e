import { randomUUID } from "node:crypto";
import type { Store } from "../../store/store.js";
import type { Clock } from "../../util/clock.js";
import { RefreshTokenRepository } from "./signin-repository.js";
import { digestSecret, newBearerSecret, SECRET_PREFIXES } from "./secret-digest.js";

/** Refresh tokens live 24 hours for every client (Entra ID gives SPAs 24 h; one rule keeps tests honest). */
export const REFRESH_TOKEN_LIFETIME_MS = 24 * 60 * 60_000;

export interface RefreshGrant {
  familyId: string;
  clientId: string;
  userObjectId: string;
  scope: string;
}

export type RefreshRotation =
  | { ok: true; grant: RefreshGrant; refreshToken: string }
  | { ok: false; reason: "unknown" | "expired" | "revoked" | "reused" | "client" };

/**
 * Rotating refresh tokens (stored as SHA-256). Each use spends the token and issues the next one of its family;
 * presenting a spent token again means it leaked: the whole family is revoked.
 */
export class RefreshTokens {
  private readonly repository: RefreshTokenRepository;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {
    this.repository = new RefreshTokenRepository(store);
  }

  /** The first token of a new family (a sign-in). */
  async issue(grant: Omit<RefreshGrant, "familyId">): Promise<string> {
    const token = newBearerSecret(SECRET_PREFIXES.refreshToken);
    const familyId = randomUUID();
    await this.repository.insert(this.row(token, { ...grant, familyId }));
    return token;
  }

  async rotate(token: string, clientId: string): Promise<RefreshRotation> {
    if (token.length > 200) return { ok: false, reason: "unknown" };
    const hash = digestSecret(token);
    const now = this.clock.now();
    const next = newBearerSecret(SECRET_PREFIXES.refreshToken);
    return this.store.write(async (trx): Promise<RefreshRotation> => {
      const row = await this.repository.find(hash, trx);
      if (row === undefined) return { ok: false, reason: "unknown" };
      if (row.client_id !== clientId) return { ok: false, reason: "client" };
      if (row.revoked_at !== null) return { ok: false, reason: "revoked" };
      if (row.used_at !== null) {
        await this.repository.revokeFamily(trx, row.family_id, now);
        return { ok: false, reason: "reused" };
      }
      if (Number(row.expires_at) <= now) return { ok: false, reason: "expired" };
      if (!(await this.repository.markUsed(trx, hash, now))) return { ok: false, reason: "reused" };
      const grant = { familyId: row.family_id, clientId: row.client_id, userObjectId: row.user_object_id, scope: row.scope };
      await this.repository.insert(this.row(next, grant), trx);
      return { ok: true, grant, refreshToken: next };
    });
  }

  private row(token: string, grant: RefreshGrant) {
    const now = this.clock.now();
    return {
      token_hash: digestSecret(token),
      family_id: grant.familyId,
      client_id: grant.clientId,
      user_object_id: grant.userObjectId,
      scope: grant.scope,
      created_at: now,
      expires_at: now + REFRESH_TOKEN_LIFETIME_MS,
      used_at: null,
      revoked_at: null,
    };
  }
}
