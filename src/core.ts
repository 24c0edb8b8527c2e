// The core services without the HTTP side: the store, resources, keys, identities, activity, the built-in authority,
// messaging, management and events. The server (app.ts) builds its listeners on top; CLI commands that act on the
// store open only this, so they never load fastify, ws, selfsigned or the route modules (issue 14 item 9, 15 item 1).
import type pino from "pino";
import type { Logger } from "pino";
import type { Config } from "./config/config.js";
import { ActivityRecorder } from "./activity/activity-recorder.js";
import { ActivityRepository } from "./activity/activity-repository.js";
import { ActivityRetention } from "./activity/activity-retention.js";
import { openActivityStorage } from "./activity/activity-storage.js";
import { IdentityRepository } from "./identity/identity-repository.js";
import { IdentityService } from "./identity/identity-service.js";
import { IdentityStateCache } from "./identity/identity-state-cache.js";
import { UserTokenService } from "./identity/user-token-service.js";
import { openEntra, type EntraModule } from "./idp/entra-module.js";
import { SigningKeyRing } from "./keys/signing-key-ring.js";
import { openMessaging, type Messaging } from "./messaging.js";
import { openEvents, type Events } from "./events/events-module.js";
import { openManagement, type ManagementModule } from "./management/management-module.js";
import { ensureSubscriptionId } from "./management/subscription.js";
import { ResourceRegistry } from "./resources/resource-registry.js";
import { ResourceRepository } from "./resources/resource-repository.js";
import { armIdOf, type Resource } from "./resources/resource.js";
import { ChangeFeed } from "./store/change-feed.js";
import { openStore, type Store } from "./store/store.js";
import { createLogger } from "./telemetry/logger.js";
import { flushRequestLines } from "./telemetry/request-line.js";
import { systemClock, type Clock } from "./util/clock.js";

export interface SwitchboardOptions {
  clock?: Clock;
  /** Where log lines go (tests capture them); default per config. */
  logDestination?: pino.DestinationStream;
}

/** The core services, shared by the server and the CLI commands that act on the store. */
export interface Core {
  config: Config;
  clock: Clock;
  log: Logger;
  store: Store;
  feed: ChangeFeed;
  resources: ResourceRepository;
  registry: ResourceRegistry;
  defaultResource: Resource;
  keyRing: SigningKeyRing;
  identityRepository: IdentityRepository;
  identityStates: IdentityStateCache;
  userTokens: UserTokenService;
  identities: IdentityService;
  /**
   * The activity record. Requests are recorded by the pipeline; services record other events (call events …)
   * with `activity.record({ operation, resourceId, principal, subjects, fields })`: it never blocks or throws.
   */
  activity: ActivityRecorder;
  activityRepository: ActivityRepository;
  activityRetention: ActivityRetention;
  /** Built-in authority, principals, bearer verification, RBAC, token exchanges. */
  entra: EntraModule;
  /** Phone numbers, SMS, e-mail and the outbox. */
  messaging: Messaging;
  /** Resources of the server's subscription and the ARM-compatible management plane (docs/management.md). */
  management: ManagementModule;
  /** Event Grid events: subscriptions, the event outbox, delivery (the server starts the worker). */
  events: Events;
  close(): Promise<void>;
}

/** Opens the store (running migrations), makes sure the default resource and a signing key exist, and wires services. */
export async function openCore(config: Config, options: SwitchboardOptions = {}): Promise<Core> {
  const clock = options.clock ?? systemClock;
  const log = createLogger(config, options.logDestination);
  const store = await openStore(config, { now: () => clock.now() });
  const activityStorage = await openActivityStorage(config, store).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  // What is opened below, closed again if the start fails half-way (a failed start must not keep the process alive).
  const opened: Array<() => unknown> = [];
  try {
    const feed = new ChangeFeed(store, {
      pollMs: config.invalidationPollMs,
      now: () => clock.now(),
      onError: (err) => log.warn({ err: { message: (err as Error).message } }, "change feed poll failed"),
    });
    const resources = new ResourceRepository(store, () => clock.now());
    const subscriptionId = await ensureSubscriptionId(store, config.management.subscriptionId);
    const defaultResource = await resources.ensureDefault({ ...config.resource, resourceGroup: config.management.defaultResourceGroup });
    const registry = new ResourceRegistry(resources, config.management.domain);
    await registry.load();
    registry.watch(feed);

    const keyRing = new SigningKeyRing(store, clock);
    await keyRing.ensureKey();
    keyRing.watch(feed);

    const identityRepository = new IdentityRepository(store);
    const identityStates = new IdentityStateCache(identityRepository, config.tokens.identityStateCacheSize);
    identityStates.watch(feed);
    const userTokens = new UserTokenService(keyRing, identityStates, clock, config.tokens.issuer, config.tokens.verifiedCacheSize);
    const identities = new IdentityService(store, identityRepository, userTokens, clock, identityStates);
    const activityRepository = new ActivityRepository(activityStorage);
    const activityConfig = config.activity;
    const activity = new ActivityRecorder(activityRepository, clock, {
      enabled: activityConfig.enabled,
      queueLimit: activityConfig.queueLimit,
      batchSize: activityConfig.batchSize,
      flushIntervalMs: activityConfig.flushIntervalMs,
      onError: (err) => log.warn({ err: { message: (err as Error).message } }, "activity write failed"),
    });
    opened.push(() => activity.close());
    const activityRetention = new ActivityRetention(activityRepository, clock, activityConfig.retention, (err) =>
      log.warn({ err: { message: (err as Error).message } }, "activity retention failed"),
    );
    const entra = await openEntra({
      config,
      log,
      store,
      feed,
      clock,
      identityRepository,
      userTokens,
      resourceArmId: (r) => armIdOf(subscriptionId, r),
    });
    const management = openManagement({ config, store, clock, repository: resources, registry, subscriptionId });
    const messaging = openMessaging(config, store, clock, log);
    opened.push(() => messaging.close());
    opened.push(() => feed.stop());
    const events = openEvents(config, store, clock, log, messaging);
    messaging.sms.attachEvents(events.recorder);
    messaging.email.attachEvents(events.recorder);
    opened.push(() => events.close());
    await feed.start();

    return {
      config,
      clock,
      log,
      store,
      feed,
      resources,
      registry,
      defaultResource,
      keyRing,
      identityRepository,
      identityStates,
      userTokens,
      identities,
      activity,
      activityRepository,
      activityRetention,
      entra,
      messaging,
      management,
      events,
      async close() {
        feed.stop();
        await events.close();
        await messaging.close();
        activityRetention.stop();
        await activityRetention.settle();
        await activity.close();
        await activityStorage.close();
        await store.close();
        flushRequestLines();
        log.flush?.();
      },
    };
  } catch (err) {
    for (const close of opened.reverse()) await Promise.resolve(close()).catch(() => undefined);
    await activityStorage.close();
    await store.close();
    throw err;
  }
}

