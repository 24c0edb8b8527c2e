import { defineRoute, type Reply, type RouteSpec } from "./route.js";
import type { SigningKeyRing } from "../keys/signing-key-ring.js";

export interface HealthProbe {
  /** True when the process can serve requests that need the database (a real round trip, briefly cached). */
  ready(): Promise<boolean>;
}

/**
 * Unauthenticated documents: the JWKS of user-token signing keys and the load-balancer health checks.
 * /health/live: the process runs and answers HTTP (restart it if not). /health/ready: it can also reach its database
 * (take it out of rotation while not; it keeps serving what its verified caches can answer).
 */
export function publicRoutes(keyRing: SigningKeyRing, health: HealthProbe): RouteSpec[] {
  return [
    defineRoute({
      operation: "keys.jwks",
      method: "GET",
      url: "/.well-known/jwks.json",
      auth: "none",
      requireApiVersion: false,
      handle: () => ({ status: 200, body: keyRing.jwks(), headers: { "cache-control": "public, max-age=300" } }),
    }),
    defineRoute({
      operation: "health.live",
      method: "GET",
      url: "/health/live",
      auth: "none",
      requireApiVersion: false,
      handle: () => ({ status: 200, body: { status: "live" }, headers: { "cache-control": "no-store" } }),
    }),
    defineRoute({
      operation: "health.ready",
      method: "GET",
      url: "/health/ready",
      auth: "none",
      requireApiVersion: false,
      async handle(): Promise<Reply> {
        const ready = await health.ready();
        return {
          status: ready ? 200 : 503,
          body: { status: ready ? "ready" : "unavailable", database: ready ? "reachable" : "unreachable" },
          headers: ready ? { "cache-control": "no-store" } : { "cache-control": "no-store", "retry-after": "5" },
        };
      },
    }),
  ];
}
