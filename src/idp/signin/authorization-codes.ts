import { createHash } from "node:crypto";
import type { Store } from "../../store/store.js";
import type { Clock } from "../../util/clock.js";
import { constantTimeEqual } from "../../util/crypto.js";
import { AuthorizationCodeRepository } from "./signin-repository.js";
import { digestSecret, newBearerSecret, SECRET_PREFIXES } from "./secret-digest.js";

/** Codes live at most ten minutes (Entra ID: about ten); a shorter life needs no configuration. */
export const CODE_LIFETIME_MS = 10 * 60_000;
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export interface CodeGrant {
  clientId: string;
  redirectUri: string;
  userObjectId: string;
  scope: string;
  nonce: string | null;
  codeChallenge: string | null;
}

export type CodeRedemption =
  | { ok: true; grant: CodeGrant }
  | { ok: false; reason: "unknown" | "used" | "expired" | "client" | "redirect-uri" | "verifier-missing" | "verifier" };

/** S256 of a PKCE verifier, base64url (RFC 7636 §4.2). */
export function pkceChallenge(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

/** Authorization codes: single use, stored as SHA-256, bound to client, redirect URI and PKCE challenge. */
export class AuthorizationCodes {
  private readonly repository: AuthorizationCodeRepository;

  constructor(
    store: Store,
    private readonly clock: Clock,
  ) {
    this.repository = new AuthorizationCodeRepository(store);
  }

  async issue(grant: CodeGrant): Promise<string> {
    const code = newBearerSecret(SECRET_PREFIXES.code);
    const now = this.clock.now();
    // Spent and expired codes are of no use: drop them as we go.
    await this.repository.insert(
      {
        code_hash: digestSecret(code),
        client_id: grant.clientId,
        redirect_uri: grant.redirectUri,
        user_object_id: grant.userObjectId,
        scope: grant.scope,
        nonce: grant.nonce,
        code_challenge: grant.codeChallenge,
        created_at: now,
        expires_at: now + CODE_LIFETIME_MS,
        used_at: null,
      },
      now - CODE_LIFETIME_MS,
    );
    return code;
  }

  /** Marks the code used (whatever the outcome of the checks after: a code is tried once), then checks it. */
  async redeem(code: string, clientId: string, redirectUri: string, verifier: string | undefined): Promise<CodeRedemption> {
    if (code.length > 200) return { ok: false, reason: "unknown" };
    const hash = digestSecret(code);
    const now = this.clock.now();
    const claim = await this.repository.claim(hash, now);
    if (claim === undefined) return { ok: false, reason: "unknown" };
    if (!claim.claimed) return { ok: false, reason: "used" };
    const row = claim.row;
    if (Number(row.expires_at) <= now) return { ok: false, reason: "expired" };
    if (row.client_id !== clientId) return { ok: false, reason: "client" };
    if (row.redirect_uri !== redirectUri) return { ok: false, reason: "redirect-uri" };
    if (row.code_challenge !== null) {
      if (verifier === undefined) return { ok: false, reason: "verifier-missing" };
      if (!VERIFIER.test(verifier) || !constantTimeEqual(pkceChallenge(verifier), row.code_challenge)) return { ok: false, reason: "verifier" };
    }
    return {
      ok: true,
      grant: {
        clientId: row.client_id,
        redirectUri: row.redirect_uri,
        userObjectId: row.user_object_id,
        scope: row.scope,
        nonce: row.nonce,
        codeChallenge: row.code_challenge,
      },
    };
  }
}
