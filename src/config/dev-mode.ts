/**
 * The well-known development mode (`switchboard start --dev`, the container's default), like Azurite's
 * well-known account: a published, fixed resource id, access keys and Entra tenant, so connection strings stay the
 * same across in-memory runs, machines and CI. INSECURE: anyone who reads this file knows the keys. The server
 * refuses it on a non-loopback address unless `devAllowRemote` (`--dev-allow-remote`) says the network is private
 * (a container's own network, say).
 */
export const DEV_RESOURCE_ID = "00000000-0000-0000-0000-000000000001";
/** base64 of the 32 ASCII bytes `switchboard-dev-primary-key-0001`. */
export const DEV_PRIMARY_KEY = Buffer.from("switchboard-dev-primary-key-0001").toString("base64");
/** base64 of the 32 ASCII bytes `switchboard-dev-secondary-key-01`. */
export const DEV_SECONDARY_KEY = Buffer.from("switchboard-dev-secondary-key-01").toString("base64");
export const DEV_TENANT_ID = "00000000-0000-0000-0000-000000000002";
/** The management plane's subscription (ARM ids of the resources, docs/management.md). */
export const DEV_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000003";
/** The managed e-mail domain's sender follows from the resource id (docs/messaging.md). */
export const DEV_EMAIL_SENDER = `DoNotReply@${DEV_RESOURCE_ID}.azurecomm.net`;

/** The configuration layer `--dev` puts just above the defaults: anything pinned explicitly still wins. */
export const devModeLayer = {
  resource: { id: DEV_RESOURCE_ID, primaryKey: DEV_PRIMARY_KEY, secondaryKey: DEV_SECONDARY_KEY },
  entra: { tenantId: DEV_TENANT_ID },
  management: { subscriptionId: DEV_SUBSCRIPTION_ID },
} as const;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}
