import type { Principal, UserScope } from "../auth/principal.js";
import { isUserScope } from "../auth/principal.js";
import { AcsError } from "../errors/acs-errors.js";
import type { Resource } from "../resources/resource.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { newIdentityId, parseIdentityId } from "./identity-id.js";
import type { IdentityRecord, IdentityRepository } from "./identity-repository.js";
import type { IdentityStateCache } from "./identity-state-cache.js";
import type { IssuedToken, UserTokenService } from "./user-token-service.js";

export const MIN_TOKEN_MINUTES = 60;
export const MAX_TOKEN_MINUTES = 1440;
export const DEFAULT_TOKEN_MINUTES = 1440;

/** ACS's message for a token request without scopes (the Azure SDK's live tests assert it verbatim). */
export const SCOPES_REQUIRED_MESSAGE = "Invalid scopes - Scopes field is required.";

export function checkScopes(scopes: unknown): UserScope[] {
  if (scopes === undefined || scopes === null || (Array.isArray(scopes) && scopes.length === 0)) {
    // ACS's recorded answer: {"code":"ValidationError","message":"Invalid scopes - Scopes field is required.","target":"scopes"}.
    throw new AcsError("ValidationError", SCOPES_REQUIRED_MESSAGE, { target: "scopes" });
  }
  if (!Array.isArray(scopes) || !scopes.every(isUserScope)) throw new AcsError("InvalidScope");
  return [...new Set(scopes)];
}

export function checkLifetime(minutes: unknown): number {
  if (minutes === undefined || minutes === null) return DEFAULT_TOKEN_MINUTES;
  if (typeof minutes !== "number" || !Number.isInteger(minutes) || minutes < MIN_TOKEN_MINUTES || minutes > MAX_TOKEN_MINUTES) {
    throw new AcsError("InvalidTokenLifetime");
  }
  return minutes;
}

export type IntrospectionResult =
  | { active: true; identity: string; scopes: string[]; expiresOn: string; issuedOn: string; tokenId: string }
  | { active: false };

/** Communication identities and their user access tokens. */
export class IdentityService {
  constructor(
    private readonly store: Store,
    private readonly identities: IdentityRepository,
    private readonly tokens: UserTokenService,
    private readonly clock: Clock,
    /**
     * The revocation-state cache user-token checks read (dropped by every identity change: this process's at once,
     * other processes' through the change feed). Token issuance reads it too: a known identity costs no query.
     */
    private readonly states?: IdentityStateCache,
  ) {}

  async create(
    resource: Resource,
    principal: Principal,
    options: { scopes?: UserScope[]; lifetimeMinutes?: number },
  ): Promise<{ id: string; accessToken?: IssuedToken }> {
    const now = this.clock.now();
    const id = newIdentityId(resource.id, now);
    if (options.scopes === undefined) {
      await this.identities.create(id, resource.id, now);
      return { id };
    }
    // The token is signed (on libuv's thread pool) while the insert commits; it is answered only if the insert is.
    const [, accessToken] = await Promise.all([
      this.identities.create(id, resource.id, now),
      this.tokens.issue({
        identity: id,
        resourceId: resource.id,
        scopes: options.scopes,
        lifetimeMinutes: options.lifetimeMinutes ?? DEFAULT_TOKEN_MINUTES,
        generation: 0,
        accessKeyId: principal.kind === "access-key" ? principal.keyId : undefined,
      }),
    ]);
    return { id, accessToken };
  }

  async issueToken(
    resource: Resource,
    principal: Principal,
    id: string,
    scopes: UserScope[],
    lifetimeMinutes: number,
  ): Promise<IssuedToken> {
    const generation = await this.liveGeneration(resource, id);
    return this.tokens.issue({
      identity: id,
      resourceId: resource.id,
      scopes,
      lifetimeMinutes,
      generation,
      accessKeyId: principal.kind === "access-key" ? principal.keyId : undefined,
    });
  }

  async revokeTokens(resource: Resource, id: string): Promise<void> {
    this.checkOwnership(resource, id);
    const now = this.clock.now();
    const done = await this.store.write((trx, ctx) => this.identities.revoke(trx, ctx, id, resource.id, now));
    if (!done) throw new AcsError("IdentityNotFound");
  }

  async delete(resource: Resource, id: string): Promise<void> {
    this.checkOwnership(resource, id);
    const now = this.clock.now();
    const done = await this.store.write((trx, ctx) => this.identities.markDeleted(trx, ctx, id, resource.id, now));
    if (!done) throw new AcsError("IdentityNotFound");
  }

  /** Token introspection for relying parties: is this token valid for this resource right now? */
  async introspect(resource: Resource, token: string): Promise<IntrospectionResult> {
    const result = await this.tokens.check(token, resource);
    if (!result.ok) return { active: false };
    return {
      active: true,
      identity: result.claims.sub,
      scopes: result.principal.scopes,
      expiresOn: new Date(result.claims.exp * 1000).toISOString(),
      issuedOn: new Date(result.claims.iat * 1000).toISOString(),
      tokenId: result.claims.jti,
    };
  }

  /** A live identity of this resource; malformed ids are 400, another resource's 401 (as ACS), unknown and deleted ones 404. */
  async requireLive(resource: Resource, id: string): Promise<IdentityRecord> {
    this.checkOwnership(resource, id);
    const identity = await this.identities.find(id);
    if (identity === undefined || identity.resourceId !== resource.id || identity.deletedAt !== null) {
      throw new AcsError("IdentityNotFound");
    }
    return identity;
  }

  /**
   * The token generation of a live identity of this resource (errors as requireLive), from the identity-state cache
   * when it knows the identity. An identity it has no entry for (or remembers as unknown) is read from the store.
   */
  private async liveGeneration(resource: Resource, id: string): Promise<number> {
    this.checkOwnership(resource, id);
    const state = this.states === undefined ? null : await this.states.get(id);
    if (state === null) return (await this.requireLive(resource, id)).tokenGeneration;
    if (state.resourceId !== resource.id || state.deleted) throw new AcsError("IdentityNotFound");
    return state.generation;
  }

  private checkOwnership(resource: Resource, id: string): void {
    const parsed = parseIdentityId(id);
    if (parsed === undefined) throw new AcsError("InvalidIdentifier", `'${id.slice(0, 100)}' is not a communication user id.`);
    // ACS answers 401 for an id of no resource of the caller's key (SDK live tests: 8:acs:00000000-…_00000000-…).
    if (parsed.resourceId !== resource.id) throw new AcsError("IdentityNotOwned");
  }
}
