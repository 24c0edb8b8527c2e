import { createHash } from "node:crypto";
import { pipeline, Transform, type Readable } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import { AuthenticationError, type AuthenticatorChain } from "../auth/authenticator-chain.js";
import { describePrincipal, type Principal } from "../auth/principal.js";
import type { Authorizer } from "../rbac/authorizer.js";
import type { ResourceRegistry } from "../resources/resource-registry.js";
import { apiOfOperation, checkApiVersion } from "./api-versions.js";
import type { ArmAuthorizer } from "../management/arm-authorizer.js";
import { AcsError } from "../errors/acs-errors.js";
import { armError } from "../errors/arm-errors.js";
import type { DataPlaneQuotas } from "../security/quotas.js";
import { isValidUtf8, refuseBadText } from "../security/text-guard.js";
import { isSecureRequest, TrustedProxies } from "../security/transport.js";
import { constantTimeEqual } from "../util/crypto.js";
import type { AuthPolicy, HandlerContext, RouteSpec } from "./route.js";
import { nextTurn } from "./turn.js";

/** Per-request facts the request log line and the metrics read once the response is sent. */
export interface RequestFacts {
  operation: string;
  resourceId?: string;
  principal?: Principal;
  subjects?: string[];
  /** Keys other than identities the request's activity event is also filed under (a console action's operator). */
  activityKeys?: string[];
  /** Operation-specific, non-secret fields (see HandlerContext.annotate). */
  fields?: Record<string, string | number | boolean | string[]>;
  errorCode?: string;
  /** On a refused credential: the identity a genuinely signed token named (set instead of `principal`). */
  claimedIdentity?: string;
  /** An api-version this server does not know yet (accepted, see api-versions.ts). */
  apiVersionWarning?: string;
}

declare module "fastify" {
  interface FastifyRequest {
    facts: RequestFacts;
  }
}

export interface PipelineDeps {
  registry: ResourceRegistry;
  /** Data-plane quotas (off unless configured, security/quotas.ts). */
  quotas?: DataPlaneQuotas;
  /** Reverse proxies believed about the client's scheme (bearer over plain HTTP is refused otherwise). */
  trustedProxies?: TrustedProxies;
  chains: Record<Exclude<AuthPolicy, "none" | "arm">, AuthenticatorChain> & { arm?: AuthenticatorChain };
  authorizer: Authorizer;
  /** Refuse well-formed api-versions this server does not know (`--strict-api-versions`). */
  strictApiVersions?: boolean;
  /** RBAC on ARM scopes for `arm` routes (the management plane). */
  armAuthorizer?: ArmAuthorizer;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b|^text\/json\b/i;

function parseBody(route: RouteSpec, request: FastifyRequest, raw: Buffer): unknown {
  const format = route.bodyFormat ?? "json";
  if (format === "raw") return raw;
  if (format === "form") return Object.fromEntries(new URLSearchParams(raw.toString("utf8")));
  if (raw.length === 0) return undefined;
  const type = request.headers["content-type"];
  if (type !== undefined && !JSON_TYPE.test(type)) throw new AcsError("UnsupportedMediaType");
  if (!isValidUtf8(raw)) throw new AcsError("InvalidCharacter", "The request body is not valid UTF-8.");
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    throw new AcsError("InvalidJson");
  }
}

function validateBody(route: RouteSpec, value: unknown): unknown {
  if (route.body === undefined) return value;
  const parsed = route.body.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.slice(0, 20).map((issue) => ({
    code: "InvalidValue",
    message: issue.message,
    target: issue.path.join(".") || "body",
  }));
  const first = details[0]!;
  throw new AcsError("InvalidRequestBody", `${first.target}: ${first.message}`, { details });
}

const BEARER_SCHEME = /^\s*Bearer(\s|$)/i;

/** Bearer tokens (user, Entra) on plain HTTP are refused, unless a trusted proxy says the client used HTTPS. */
function refuseBearerOverHttp(request: FastifyRequest, proxies: TrustedProxies | undefined): void {
  const authorization = request.headers.authorization;
  if (authorization === undefined || !BEARER_SCHEME.test(authorization)) return;
  if (request.facts.operation === "metrics.scrape") return; // the scrape token has its own rule (metrics-routes.ts)
  if (isSecureRequest(request.raw, proxies ?? NO_PROXIES)) return;
  throw new AcsError("BearerRequiresHttps");
}

const NO_PROXIES = new TrustedProxies([]);

function apiVersionValues(query: Record<string, unknown>): string[] {
  const v = query["api-version"];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string" && x !== "");
}

/**
 * The request pipeline, in one place. Every route runs these steps in this order, once its turn has come (turn.ts:
 * the requests read in one pass over the sockets are handled together):
 *   1. context      the resource, chosen by the local port (a resource's own listener) or the Host header (the API
 *                   lives at the root of the endpoint); ARM routes name their resource in the path instead
 *   2. dispatch     fastify's router has picked `route`
 *   3. authenticate the route's authenticator chain turns credentials into a principal (401 on failure)
 *   4. authorize    the principal may run this operation on this resource, or for ARM routes the route's action at
 *                   the ARM scope its path names (403 on failure)
 *   5. validate     api-version present and known for the route's API (api-versions.ts), body parsed and checked
 *                   against the route's schema (400)
 *   6. handle       the domain operation
 *   7. serialize    status, headers and JSON body
 * Any AcsError thrown by a step is rendered once by the error handler (error-handler.ts).
 *
 * Entry points with steps of their own (docs/architecture.md): the WebSocket signaling endpoint
 * (calling/signaling-server.ts: the user token arrives in the first message), GET /metrics (its loopback-or-token
 * check in telemetry/metrics-routes.ts), the Entra token endpoint (idp/authority-routes.ts: client credentials in
 * the form body) and the CLI (cli/main.ts, operator access to the store).
 */
export function createRouteHandler(route: RouteSpec, deps: PipelineDeps) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const facts = request.facts;
    facts.operation = route.operation;
    await nextTurn();

    // 1. context
    const resource = deps.registry.resolve(request.headers.host, request.socket?.localPort);
    facts.resourceId = resource.id;
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);

    // 3. authenticate (a bearer credential never crosses plain HTTP, SECURITY.md)
    refuseBearerOverHttp(request, deps.trustedProxies);
    let principal: Principal | undefined;
    if (route.auth !== "none") {
      try {
        const chain = deps.chains[route.auth];
        if (chain === undefined) throw new AcsError("UnsupportedAuthorizationScheme");
        principal = await chain.authenticate({
          method: request.method,
          rawUrl: request.url,
          headers: request.headers,
          rawBody,
          resource,
        });
      } catch (err) {
        if (err instanceof AuthenticationError && err.identity !== undefined) facts.claimedIdentity = err.identity;
        throw err;
      }
      facts.principal = principal;
      // 4. authorize
      if (route.auth === "arm") {
        if (deps.armAuthorizer === undefined || route.arm === undefined) throw armError("noRouteAuthorizer");
        if (route.arm.filtered !== true) await deps.armAuthorizer.require(principal, route.arm.action, route.arm.scope(request.params as Record<string, string>));
      } else {
        await deps.authorizer.authorize(principal, route, resource);
      }
    }

    // 5. validate
    const query = request.query as Record<string, string | string[] | undefined>;
    const versions = apiVersionValues(query);
    if (route.requireApiVersion !== false && versions.length === 0) throw new AcsError("MissingApiVersion");
    const api = apiOfOperation(route.operation);
    if (api !== undefined && versions.length > 0) {
      const verdict = checkApiVersion(api, versions, deps.strictApiVersions === true);
      if (verdict.kind === "unknown") {
        facts.apiVersionWarning = verdict.warning;
        reply.header("warning", `299 switchboard "${verdict.warning}"`);
      }
    }
    const parsedBody = parseBody(route, request, rawBody);
    refuseBadText({ params: request.params, query, body: Buffer.isBuffer(parsedBody) ? undefined : parsedBody });
    const body = validateBody(route, parsedBody);

    // 6. handle
    const forwardedProto = request.protocol;
    const ctx: HandlerContext<unknown> = {
      resource,
      principal,
      params: request.params as Record<string, string>,
      query,
      body,
      rawBody,
      headers: request.headers,
      baseUrl: `${forwardedProto}://${request.headers.host ?? "localhost"}`,
      requestId: request.id,
      setSubject: (identity) => {
        facts.subjects = Array.isArray(identity) ? identity : [identity];
      },
      annotate: (fields) => {
        facts.fields = { ...facts.fields, ...fields };
      },
      request,
    };
    deps.quotas?.check(route.operation, ctx);
    const result = await route.handle(ctx);

    // 7. serialize
    reply.code(result.status);
    if (result.headers !== undefined) reply.headers(result.headers);
    if (result.rawBody !== undefined) {
      await reply.send(result.rawBody);
    } else if (result.body === undefined) {
      await reply.send();
    } else {
      reply.type("application/json; charset=utf-8");
      await reply.send(JSON.stringify(result.body));
    }
  };
}

/**
 * Before a large (or chunked) body is read: the route's credentials are checked on the headers alone (a bearer token
 * entirely; an HMAC signature over the headers, its body hash as the body streams in), so an anonymous or forged
 * request never makes the server buffer its body. A refusal closes the connection instead of draining the body.
 */
export function createPreAuthHook(route: RouteSpec, deps: PipelineDeps, threshold: number) {
  const auth = route.auth;
  if (auth === "none") return (_request: FastifyRequest, _reply: FastifyReply, _payload: Readable, done: (err: Error | null) => void): void => done(null);
  const preAuthenticate = async (request: FastifyRequest, reply: FastifyReply, payload: Readable): Promise<Readable | undefined> => {
    request.facts.operation = route.operation;
    try {
      const resource = deps.registry.resolve(request.headers.host, request.socket?.localPort);
      request.facts.resourceId = resource.id;
      refuseBearerOverHttp(request, deps.trustedProxies);
      const chain = deps.chains[auth];
      if (chain === undefined) throw new AcsError("UnsupportedAuthorizationScheme");
      await chain.authenticate({
        method: request.method,
        rawUrl: request.url,
        headers: request.headers,
        rawBody: Buffer.alloc(0),
        resource,
        bodyPending: true,
      });
    } catch (err) {
      if (err instanceof AuthenticationError && err.identity !== undefined) request.facts.claimedIdentity = err.identity;
      reply.header("connection", "close");
      throw err;
    }
    // An HMAC request's body hash is checked as the body streams in: a mismatch stops the read at its end, before
    // the body is parsed (the handler's authentication checks it once more).
    const contentHash = request.headers["x-ms-content-sha256"];
    if (typeof contentHash !== "string" || !/^HMAC-SHA256 /.test(request.headers.authorization ?? "")) return undefined;
    const hash = createHash("sha256");
    const checked = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
      flush(done) {
        if (constantTimeEqual(hash.digest("base64"), contentHash)) return done();
        reply.header("connection", "close");
        done(new AcsError("ContentHashMismatch"));
      },
    });
    // pipeline(): a client that aborts mid-body destroys the checking stream too (nothing waits for its end).
    pipeline(payload, checked, () => undefined);
    return checked;
  };
  // fastify's callback form: the common case (a small body) costs no promise.
  return (request: FastifyRequest, reply: FastifyReply, payload: Readable, done: (err: Error | null, payload?: Readable) => void): void => {
    const length = Number(request.headers["content-length"] ?? "0");
    const chunked = request.headers["transfer-encoding"] !== undefined;
    if (!chunked && !(length > threshold)) return done(null);
    preAuthenticate(request, reply, payload).then(
      (checked) => done(null, checked),
      (err: unknown) => done(err as Error),
    );
  };
}

export function principalLabel(facts: RequestFacts): string | undefined {
  return facts.principal === undefined ? undefined : describePrincipal(facts.principal);
}
