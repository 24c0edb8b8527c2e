import type { EntraTokenVerifier } from "../auth/bearer/entra-token-verifier.js";
import type { UserScope } from "../auth/principal.js";
import { AcsError } from "../errors/acs-errors.js";
import { EntraUserIdentityRepository } from "./entra-user-identity-repository.js";
import { newIdentityId } from "../identity/identity-id.js";
import type { IdentityRepository } from "../identity/identity-repository.js";
import type { IssuedToken, UserTokenService } from "../identity/user-token-service.js";
import type { Resource } from "../resources/resource.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";

/** An exchanged token lives as long as the Entra token it came from, and never longer than a day. */
const MAX_EXCHANGED_LIFETIME_SEC = 24 * 60 * 60;
const TEAMS_SCOPES: UserScope[] = ["chat", "voip"];

/** The ACS scopes a delegated Entra scope list (`scp`) maps to: …/clients/VoIP → voip, …/clients/Chat → chat. */
export function acsScopesFor(scp: string): UserScope[] {
  const scopes = new Set<UserScope>();
  for (const s of scp.split(/\s+/)) {
    const name = s.slice(s.lastIndexOf("/") + 1).toLowerCase();
    if (name === "voip") scopes.add("voip");
    else if (name === "chat") scopes.add("chat");
    else if (name === ".default") {
      scopes.add("chat");
      scopes.add("voip");
    }
  }
  return [...scopes].sort();
}

export interface ExchangeResult extends IssuedToken {
  identity: string;
}

/**
 * The Teams user exchange (`/teamsUser/:exchangeAccessToken`) and the Entra user exchange
 * (`/access/entra/:exchangeAccessToken`): a verified Entra user token in, an ACS user token out. Every identity a
 * token is issued for has a row in `identities`, so the ordinary user-token check (revocation, deletion) applies.
 */
export class TokenExchange {
  private readonly mappings: EntraUserIdentityRepository;

  constructor(
    private readonly verifier: EntraTokenVerifier,
    private readonly store: Store,
    private readonly identities: IdentityRepository,
    private readonly tokens: UserTokenService,
    private readonly clock: Clock,
  ) {
    this.mappings = new EntraUserIdentityRepository(store);
  }

  async exchangeTeamsToken(resource: Resource, request: { token: string; appId: string; userId: string }): Promise<ExchangeResult> {
    // A Teams user token is issued for the Teams resource (Teams.ManageCalls / Teams.ManageChats), nothing else.
    const verified = await this.verifier.verify(request.token, "teamsExchange");
    if (!verified.ok) throw new AcsError(verified.code);
    if (verified.principal.principalType !== "user") throw new AcsError("UserTokenRequired");
    if (verified.principal.appId !== request.appId) throw new AcsError("TeamsAppIdMismatch");
    if (verified.principal.objectId !== request.userId) throw new AcsError("TeamsUserIdMismatch");
    const identity = `8:orgid:${verified.principal.objectId}`;
    const generation = await this.ensureIdentity(resource, identity);
    return { identity, ...(await this.issue(resource, identity, generation, TEAMS_SCOPES, verified.claims.exp!)) };
  }

  async exchangeEntraToken(resource: Resource, token: string): Promise<ExchangeResult> {
    const verified = await this.verifier.verify(token, "dataPlane");
    if (!verified.ok) throw new AcsError(verified.code);
    if (verified.principal.principalType !== "user") throw new AcsError("UserTokenRequired");
    const scopes = acsScopesFor(typeof verified.claims.scp === "string" ? verified.claims.scp : "");
    if (scopes.length === 0) {
      throw new AcsError("UserTokenRequired", "The Entra user token carries no https://communication.azure.com/clients/ scope.");
    }
    const { issuer, objectId } = verified.principal;
    const identity = await this.mappedIdentity(resource, issuer, objectId);
    const generation = await this.ensureIdentity(resource, identity);
    return { identity, ...(await this.issue(resource, identity, generation, scopes, verified.claims.exp!)) };
  }

  private async issue(resource: Resource, identity: string, generation: number, scopes: UserScope[], entraExp: number): Promise<IssuedToken> {
    const now = Math.floor(this.clock.now() / 1000);
    // Within the verifier's clock skew an Entra token may be a little past its exp: nothing is left to inherit.
    if (entraExp <= now) throw new AcsError("TokenExpired");
    return this.tokens.issue({
      identity,
      resourceId: resource.id,
      scopes,
      lifetimeMinutes: MAX_EXCHANGED_LIFETIME_SEC / 60,
      generation,
      notAfter: Math.min(entraExp, now + MAX_EXCHANGED_LIFETIME_SEC),
    });
  }

  /** The same Entra user (issuer + oid) always maps to the same `8:acs:` identity of a resource. */
  private async mappedIdentity(resource: Resource, issuer: string, objectId: string): Promise<string> {
    const existing = await this.mappings.find(resource.id, issuer, objectId);
    if (existing !== undefined) return existing;
    const candidate = newIdentityId(resource.id);
    try {
      return await this.store.write(async (trx) => {
        const again = await this.mappings.find(resource.id, issuer, objectId, trx);
        if (again !== undefined) return again;
        const now = this.clock.now();
        await this.identities.insert(trx, candidate, resource.id, now);
        await this.mappings.insert(trx, { resource_id: resource.id, issuer, object_id: objectId, identity_id: candidate, created_at: now });
        return candidate;
      });
    } catch (err) {
      // A concurrent first exchange of the same user won the insert: use its identity.
      const winner = await this.mappings.find(resource.id, issuer, objectId);
      if (winner !== undefined) return winner;
      throw err;
    }
  }

  /** Makes sure the identity has its `identities` row; returns its revocation generation. */
  private async ensureIdentity(resource: Resource, identity: string): Promise<number> {
    let record = await this.identities.find(identity);
    if (record === undefined) {
      try {
        await this.store.write((trx) => this.identities.insert(trx, identity, resource.id, this.clock.now()));
      } catch (err) {
        if ((await this.identities.find(identity)) === undefined) throw err;
      }
      record = await this.identities.find(identity);
    }
    if (record === undefined) throw new AcsError("InternalError");
    if (record.resourceId !== resource.id) throw new AcsError("IdentityBoundToOtherResource");
    if (record.deletedAt !== null) throw new AcsError("IdentityDeleted");
    return record.tokenGeneration;
  }
}
