import { isIP } from "node:net";
import { headerValue } from "../auth/authenticator.js";
import { AcsError } from "../errors/acs-errors.js";
import { defineRoute, type RouteSpec } from "../http/route.js";
import { constantTimeEqual, sha256Base64 } from "../util/crypto.js";
import type { SwitchboardMetrics } from "./metrics.js";

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith("127.");
}

export type MetricsAccess = { kind: "open" } | { kind: "token"; token: string } | { kind: "closed" };

/**
 * Who may scrape: with `metrics.token` set, only a bearer of it; without one, anyone when the server is bound to
 * loopback (only local processes can connect), nobody otherwise.
 */
export function metricsAccess(bindHost: string, token: string | undefined): MetricsAccess {
  if (token !== undefined) return { kind: "token", token };
  return isLoopbackHost(bindHost) ? { kind: "open" } : { kind: "closed" };
}

const BEARER = /^Bearer (.+)$/i;

/** GET /metrics: Prometheus text format. */
export function metricsRoutes(metrics: SwitchboardMetrics, access: MetricsAccess): RouteSpec[] {
  return [
    defineRoute({
      operation: "metrics.scrape",
      method: "GET",
      url: "/metrics",
      auth: "none",
      requireApiVersion: false,
      async handle(ctx) {
        if (access.kind === "closed") throw new AcsError("MetricsNotExposed");
        if (access.kind === "token") {
          const presented = BEARER.exec(headerValue(ctx.headers, "authorization") ?? "")?.[1]?.trim();
          if (presented === undefined || !constantTimeEqual(sha256Base64(presented), sha256Base64(access.token))) {
            throw new AcsError("MetricsUnauthorized", undefined, { headers: { "www-authenticate": 'Bearer realm="metrics"' } });
          }
        }
        return { status: 200, rawBody: await metrics.render(), headers: { "content-type": metrics.contentType, "cache-control": "no-store" } };
      },
    }),
  ];
}
