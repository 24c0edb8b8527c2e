import { defineRoute, type RouteSpec } from "./route.js";
import type { SigningKeyRing } from "../keys/signing-key-ring.js";

export interface HealthProbe {
  /** True when the process can serve requests that need the database. */
  ready(): Promise<boolean>;
}

/** Unauthenticated documents: the JWKS of user-token signing keys and the load-balancer health checks. */
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
      handle: () => ({ status: 200, body: { status: "live" } }),
    }),
    defineRoute({
      operation: "health.ready",
      method: "GET",
      url: "/health/ready",
      auth: "none",
      requireApiVersion: false,
      async handle() {
        const ready = await health.ready();
        return { status: ready ? 200 : 503, body: { status: ready ? "ready" : "unavailable" } };
      },
    }),
  ];
}
