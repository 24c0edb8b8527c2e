import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { EntraBearerAuthenticator } from "../auth/bearer/entra-authenticator.js";
import { EntraTokenVerifier } from "../auth/bearer/entra-token-verifier.js";
import { TrustedIssuers } from "../auth/bearer/trusted-issuers.js";
import type { RouteSpec } from "../http/route.js";
import type { IdentityRepository } from "../identity/identity-repository.js";
import type { UserTokenService } from "../identity/user-token-service.js";
import type { EntraAuthorizer } from "../rbac/authorizer.js";
import { createEntraRoleAuthorizer, RoleAssignmentCache } from "../rbac/entra-role-authorizer.js";
import { RoleStore } from "../rbac/role-store.js";
import type { ChangeFeed } from "../store/change-feed.js";
import type { Resource } from "../resources/resource.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { AuthorityKeys } from "./authority-keys.js";
import { authorityRoutes, type AuthorityDeps } from "./authority-routes.js";
import { GuessThrottle } from "../security/guess-throttle.js";
import { realPeer, TrustedProxies } from "../security/transport.js";
import { configureHashQueue } from "./secret-hash.js";
import { AuthorityTokens } from "./authority-tokens.js";
import { EntraPrincipals } from "./entra-principals.js";
import { ManagedIdentities } from "./managed-identity/managed-identities.js";
import { managedIdentityRoutes } from "./managed-identity/managed-identity-routes.js";
import { PrincipalStateCache } from "./principal-state-cache.js";
import { openSignin, type Signin } from "./signin/signin-module.js";
import { TokenExchange } from "./token-exchange.js";
import { tokenExchangeRoutes } from "./token-exchange-routes.js";

/** Throttling of the token endpoint's guessable secrets (config.guessing), and the hashing queue's bounds. */
function guessingFor(config: Config, clock: Clock): Pick<AuthorityDeps, "guessing"> {
  const g = config.guessing;
  configureHashQueue(g.hashConcurrency, g.hashQueueLimit);
  if (!g.enabled) return {};
  const proxies = new TrustedProxies(config.trustedProxies);
  const throttle = new GuessThrottle({
    freeFailures: (key) => (key.startsWith("source:") ? g.freeFailuresPerSource : g.freeFailuresPerClient),
    baseDelayMs: g.baseDelayMs,
    maxDelayMs: g.maxDelayMs,
    windowMs: g.windowSeconds * 1000,
    now: () => clock.now(),
  });
  return { guessing: { throttle, sourceOf: (ctx) => realPeer(ctx.request.raw, proxies) } };
}

/** Everything Entra ID: the built-in authority, principals, bearer verification, RBAC and the token exchanges. */
export interface EntraModule {
  keys: AuthorityKeys;
  principals: EntraPrincipals;
  managedIdentities: ManagedIdentities;
  /** User sign-in: app registrations, authorize endpoint, user grants (authorization code, refresh, device code). */
  signin: Signin;
  exchange: TokenExchange;
  roles: RoleStore;
  verifier: EntraTokenVerifier;
  authenticator: EntraBearerAuthenticator;
  authorizer: EntraAuthorizer;
  /** Role assignments as requests read them (the management plane's RBAC reads them too). */
  assignments: RoleAssignmentCache;
  routes(): RouteSpec[];
}

export async function openEntra(deps: {
  config: Config;
  log: Logger;
  store: Store;
  feed: ChangeFeed;
  clock: Clock;
  identityRepository: IdentityRepository;
  userTokens: UserTokenService;
  /** A resource's ARM id, so role assignments at ARM scopes cover it. */
  resourceArmId?: (resource: Resource) => string;
}): Promise<EntraModule> {
  const { config, store, feed, clock } = deps;
  const keys = new AuthorityKeys(store, clock);
  await keys.ensure(config.entra.tenantId);
  keys.watch(feed);
  const principals = new EntraPrincipals(store, clock, () => keys.tenantId);
  const states = new PrincipalStateCache(principals);
  states.watch(feed);
  const roles = new RoleStore(store, clock);
  const assignments = new RoleAssignmentCache(roles);
  assignments.watch(feed);
  const trusted = new TrustedIssuers(config.entra.trustedIssuers, () => clock.now(), (issuer, err) =>
    deps.log.warn({ issuer, err: { message: (err as Error).message } }, "trusted issuer keys unavailable"),
  );
  const verifier = new EntraTokenVerifier(keys, trusted, states, clock);
  const tokens = new AuthorityTokens(keys, clock, config.entra.accessTokenMinutes * 60);
  const exchange = new TokenExchange(verifier, store, deps.identityRepository, deps.userTokens, clock);
  const managedIdentities = new ManagedIdentities(store, clock, () => keys.tenantId);
  const signin = await openSignin({ store, clock, keys, principals, tokens, verifier, idTokenLifetimeSec: config.entra.accessTokenMinutes * 60 });
  return {
    keys,
    principals,
    managedIdentities,
    signin,
    exchange,
    roles,
    verifier,
    authenticator: new EntraBearerAuthenticator(verifier),
    authorizer: createEntraRoleAuthorizer(assignments, (iss) => verifier.isBuiltInIssuer(iss), deps.resourceArmId),
    assignments,
    routes: () => {
      const guessing = guessingFor(config, clock);
      return [
        ...authorityRoutes({ keys, principals, tokens, clock, grants: signin.grants, ...guessing }),
        // The sign-in pages share the token endpoint's throttle: one count per user name and source for both.
        ...signin.routes(guessing.guessing),
        ...tokenExchangeRoutes(exchange),
        ...managedIdentityRoutes({ identities: managedIdentities, keys, tokens, clock }),
      ];
    },
  };
}
