import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Config } from "./config/config.js";
import { activityRoutes } from "./activity/activity-routes.js";
import { callActivity } from "./activity/call-activity.js";
import { AuthenticatorChain } from "./auth/authenticator-chain.js";
import { ArmBearerAuthenticator } from "./management/arm-authenticator.js";
import { HmacAuthenticator } from "./auth/hmac/hmac-authenticator.js";
import { CallRepository } from "./calling/call-repository.js";
import { callingRoutes } from "./calling/calling-routes.js";
import { chatDemoRoutes } from "./chat/chat-demo-page.js";
import { createCalling, type Calling } from "./calling/calling-service.js";
import { UserTokenAuthenticator } from "./auth/user-token/user-token-authenticator.js";
import { ChatRepository } from "./chat/chat-repository.js";
import { chatRoutes } from "./chat/chat-routes.js";
import { ChatService } from "./chat/chat-service.js";
import { ChatRealtime } from "./chat/chat-realtime.js";
import { openRealtimeBus } from "./realtime/open-realtime-bus.js";
import { CallEventsOutbox } from "./events/call-events.js";
import type { RealtimeBus } from "./realtime/realtime-bus.js";
import { createHttpApp } from "./http/http-app.js";
import { withHttpsRedirect } from "./http/https-redirect.js";
import { publicRoutes } from "./http/public-routes.js";
import type { RouteSpec } from "./http/route.js";
import { loadOrCreateTlsMaterial, type TlsMaterial } from "./http/tls.js";
import { identityRoutes } from "./identity/identity-routes.js";
import { messagingRoutes } from "./messaging.js";
import { openCore, type Core, type SwitchboardOptions } from "./core.js";
import { eventsRoutes } from "./events/events-routes.js";
import { PrincipalAuthorizer } from "./rbac/authorizer.js";
import { ResourceListeners } from "./resources/resource-listeners.js";
import { openConsole } from "./console/console-module.js";
import { ReadinessProbe } from "./store/readiness.js";
import { bodyLimitFor } from "./security/body-limits.js";
import { DataPlaneQuotas } from "./security/quotas.js";
import { TrustedProxies } from "./security/transport.js";
import { SwitchboardMetrics } from "./telemetry/metrics.js";
import { metricsAccess, metricsRoutes } from "./telemetry/metrics-routes.js";
import { createRequestObserver } from "./telemetry/request-telemetry.js";
import { trustedAuthRoutes } from "./trusted-auth/trusted-auth-routes.js";
import { sampleRoutes } from "./trusted-auth/sample-page.js";
import { TrustedAuthStore } from "./trusted-auth/trusted-auth-store.js";

export { openCore, type Core, type SwitchboardOptions } from "./core.js";

export interface Switchboard {
  core: Core;
  metrics: SwitchboardMetrics;
  app: FastifyInstance;
  tls: TlsMaterial;
  /** Browser calling: signaling on the HTTPS listener; `calling.onCallEvent(…)` is the call activity hook. */
  calling: Calling;
  /** Binds the listeners; resolves with the actual ports. */
  listen(): Promise<{ httpsPort: number; httpPort: number | undefined }>;
  close(): Promise<void>;
}

/** Every route of the server. Each service adds its list here. */
function allRoutes(core: Core, metrics: SwitchboardMetrics, armRoutes: RouteSpec[], bus: RealtimeBus, chatListening: () => boolean): RouteSpec[] {
  const trustedAuth = new TrustedAuthStore(core.store, core.clock);
  return [
    ...armRoutes,
    ...publicRoutes(core.keyRing, new ReadinessProbe(core.store, () => core.clock.now())),
    ...identityRoutes(core.identities),
    ...activityRoutes(core.activityRepository),
    ...(core.config.metrics.enabled ? metricsRoutes(metrics, metricsAccess(core.config.host, core.config.metrics.token), new TrustedProxies(core.config.trustedProxies)) : []),
    ...core.entra.routes(),
    ...messagingRoutes(core.messaging),
    ...eventsRoutes(core.events),
    ...callingRoutes(new CallRepository(core.store)),
    ...chatDemoRoutes(),
    ...chatRoutes(new ChatService(core.store, new ChatRepository(core.store), core.clock, core.events.chat, chatRealtime(core, bus, chatListening))),
    ...sampleRoutes({ store: trustedAuth, keys: core.entra.keys }),
    ...trustedAuthRoutes({
      store: trustedAuth,
      verifier: core.entra.verifier,
      identities: core.identities,
      exchange: core.entra.exchange,
    }),
  ];
}

/** Chat events to connected users, through the realtime bus to every replica's sockets. */
function chatRealtime(core: Core, bus: RealtimeBus, listening: () => boolean): ChatRealtime {
  return new ChatRealtime(
    () => core.store.db,
    (resourceId, identities, event, payload) => bus.publish({ kind: "toIdentities", resourceId, identities, scope: "chat", message: { type: "chatEvent", event, payload } }),
    listening,
  );
}

export async function createSwitchboard(config: Config, options: SwitchboardOptions = {}): Promise<Switchboard> {
  const core = await openCore(config, options);
  try {
    return await assemble(core, config);
  } catch (err) {
    // TLS material, the app or the listeners failed: close the core, so nothing it opened keeps the process alive.
    await core.close().catch(() => undefined);
    throw err;
  }
}

async function assemble(core: Core, config: Config): Promise<Switchboard> {
  const tls = await loadOrCreateTlsMaterial({ dataDir: config.dataDir, certFile: config.tls.certFile, keyFile: config.tls.keyFile, hostnames: config.tls.hostnames });

  const hmac = new HmacAuthenticator(core.clock);
  const metrics = new SwitchboardMetrics({
    activity: core.activity.stats,
    observeIdentities: (observer) => core.activity.observe(observer),
    activeWindowMs: config.metrics.activeWindowSeconds * 1000,
    now: () => core.clock.now(),
  });
  const arm = core.management.routes({
    assignments: core.entra.assignments,
    tenantId: () => core.entra.keys.tenantId,
    isBuiltInIssuer: (iss) => core.entra.verifier.isBuiltInIssuer(iss),
  });
  // One authentication model for every entry point: the HTTP routes and the signaling WebSocket share these.
  const users = new AuthenticatorChain([new UserTokenAuthenticator(core.userTokens, core.registry)]);
  const authorizer = new PrincipalAuthorizer(core.entra.authorizer);
  let boundHttpsPort: number | undefined;
  const bus = await openRealtimeBus({ databaseUrl: config.databaseUrl, db: core.store.db, log: core.log });
  const consoleModule = openConsole(core, { metrics, authorizer, httpsPort: () => boundHttpsPort });
  // Chat events are built (two reads per write) only when a socket may hear them: any socket here, or, with
  // replicas sharing the bus, possibly one on another replica.
  let signaling: { readonly connectionCount: number } | undefined;
  const app = createHttpApp({
    routes: [...allRoutes(core, metrics, arm.routes, bus, () => bus.shared || (signaling?.connectionCount ?? 0) > 0), ...consoleModule.routes()],
    log: core.log,
    onRequestDone: createRequestObserver(core.activity, metrics),
    bodyLimitFor: (route) => bodyLimitFor(route, config.email.maxMessageBytes),
    deps: {
      registry: core.registry,
      chains: {
        management: new AuthenticatorChain([hmac, core.entra.authenticator]),
        user: users,
        arm: new AuthenticatorChain([new ArmBearerAuthenticator(core.entra.verifier)]),
      },
      authorizer,
      strictApiVersions: config.strictApiVersions,
      armAuthorizer: arm.authorizer,
      trustedProxies: new TrustedProxies(config.trustedProxies),
      quotas: new DataPlaneQuotas((id) => config.quotas.resources[id] ?? config.quotas.preset, () => core.clock.now()),
    },
  });
  try {
    await app.ready();
  } catch (err) {
    await app.close().catch(() => undefined);
    consoleModule.close();
    await bus.close();
    throw err;
  }
  core.activityRetention.start();
  core.events.worker.start();
  bus.subscribe((message) => {
    if (message.kind === "eventsQueued") core.events.worker.wake();
  });

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => app.routing(req, res);
  const httpsServer = https.createServer({ cert: tls.cert, key: tls.key }, handler);
  const httpServer = config.httpPort === null ? undefined : http.createServer(withHttpsRedirect(handler, () => boundHttpsPort));
  for (const s of [httpsServer, httpServer]) {
    if (s === undefined) continue;
    s.keepAliveTimeout = 72_000;
    s.headersTimeout = 75_000;
  }
  const calling = createCalling({
    config: core.config.calling,
    clock: core.clock,
    log: core.log,
    store: core.store,
    feed: core.feed,
    registry: core.registry,
    users,
    authorizer,
    identityStates: core.identityStates,
    bus,
  });
  signaling = calling.signaling;
  calling.attach(httpsServer);
  // Every resource but the default one has an HTTPS listener of its own (docs/management.md).
  const resourceListeners = new ResourceListeners(core.registry, {
    host: config.host,
    tls,
    handler,
    log: core.log,
    onServer: (server) => calling.attach(server),
  });
  calling.onCallEvent((event) => core.activity.record(callActivity(event)));
  calling.onCallEvent(new CallEventsOutbox({ store: core.store, recorder: core.events.recorder, resource: (id) => core.registry.get(id), log: core.log }).listener);

  const listenOn = (server: http.Server | https.Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, config.host, () => {
        server.off("error", reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const closeServer = (server: http.Server | https.Server | undefined): Promise<void> =>
    new Promise((resolve) => {
      if (server === undefined || !server.listening) return resolve();
      server.close(() => resolve());
      server.closeIdleConnections();
    });

  return {
    core,
    metrics,
    app,
    tls,
    calling,
    async listen() {
      try {
        await bus.ready(5_000);
        const httpsPort = await listenOn(httpsServer, config.port);
        boundHttpsPort = httpsPort;
        const httpPort = httpServer === undefined ? undefined : await listenOn(httpServer, config.httpPort!);
        core.management.attachListeners(httpsPort, resourceListeners);
        await resourceListeners.start();
        return { httpsPort, httpPort };
      } catch (err) {
        // A port in use: close what the start opened, so the failed process can exit.
        await close().catch(() => undefined);
        throw err;
      }
    },
    close,
  };

  async function close(): Promise<void> {
    // Stop accepting, let in-flight requests finish, then flush and close the store.
    await calling.close();
    consoleModule.close();
    await bus.close();
    await Promise.all([closeServer(httpsServer), closeServer(httpServer), resourceListeners.close()]);
    await app.close();
    await core.close();
  }
}
