import { isIP } from "node:net";
import type { FastifyRequest } from "fastify";
import { parseBearer } from "../auth/bearer-header.js";
import { realPeer, TrustedProxies } from "../security/transport.js";
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


const FORWARDING_HEADERS = ["x-forwarded-for", "forwarded", "x-real-ip"];

/**
 * Without a token, /metrics answers local clients only: the real peer (behind configured proxies, the client they
 * name) must be loopback. A loopback peer that is not a configured proxy but forwards for someone (nginx on the same
 * host, say) is refused: the bind address alone never decides.
 */
function isLocalClient(raw: FastifyRequest["raw"], proxies: TrustedProxies): boolean {
  const peer = realPeer(raw, proxies);
  if (peer === undefined || !isLoopbackHost(peer)) return false;
  if (proxies.has(raw.socket.remoteAddress)) return true;
  return !FORWARDING_HEADERS.some((h) => raw.headers[h] !== undefined);
}

/** GET /metrics: Prometheus text format. */
export function metricsRoutes(metrics: SwitchboardMetrics, access: MetricsAccess, proxies: TrustedProxies = new TrustedProxies([])): RouteSpec[] {
  return [
    defineRoute({
      operation: "metrics.scrape",
      method: "GET",
      url: "/metrics",
      auth: "none",
      requireApiVersion: false,
      async handle(ctx) {
        if (access.kind === "closed") throw new AcsError("MetricsNotExposed");
        if (access.kind === "open" && !isLocalClient(ctx.request.raw, proxies)) {
          throw new AcsError("MetricsNotExposed", "Without metrics.token, /metrics answers clients on this machine only (not through a proxy).");
        }
        if (access.kind === "token") {
          const header = parseBearer(ctx.headers);
          const presented = header.kind === "bearer" ? header.credential : undefined;
          if (presented === undefined || !constantTimeEqual(sha256Base64(presented), sha256Base64(access.token))) {
            throw new AcsError("MetricsUnauthorized", undefined, { headers: { "www-authenticate": 'Bearer realm="metrics"' } });
          }
        }
        return { status: 200, rawBody: await metrics.render(), headers: { "content-type": metrics.contentType, "cache-control": "no-store" } };
      },
    }),
  ];
}
