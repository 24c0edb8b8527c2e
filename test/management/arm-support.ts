import { ClientSecretCredential } from "@azure/identity";
import { CommunicationServiceManagementClient } from "@azure/arm-communication";
import type { TestServer } from "../support/test-server.js";
import { createSp, runCli, type CreatedSp } from "../entra/entra-support.js";

export function credentialOf(srv: TestServer, sp: CreatedSp): ClientSecretCredential {
  return new ClientSecretCredential(sp.tenantId, sp.clientId, sp.clientSecret!, { authorityHost: srv.httpsUrl, disableInstanceDiscovery: true });
}

/** The ARM client as docs/management.md tells users to build it: `endpoint` is the server (scope `<endpoint>/.default`). */
export function armClient(srv: TestServer, sp: CreatedSp, options: { credentialScopes?: string } = {}): CommunicationServiceManagementClient {
  return new CommunicationServiceManagementClient(credentialOf(srv, sp), srv.server.core.management.subscriptionId, {
    endpoint: srv.httpsUrl,
    ...(options.credentialScopes !== undefined ? { credentialScopes: options.credentialScopes } : {}),
  });
}

/** A service principal with `role` at `scope` (`sub` for the subscription, `rg:<name>` for a resource group). */
export async function principalWithRole(srv: TestServer, name: string, role?: string, scope = "sub"): Promise<CreatedSp> {
  const sp = await createSp(srv, name);
  if (role !== undefined) {
    const sub = `/subscriptions/${srv.server.core.management.subscriptionId}`;
    const armScope = scope === "sub" ? sub : `${sub}/resourceGroups/${scope.slice(3)}`;
    await runCli(srv, ["role", "assign", "--principal", sp.clientId, "--role", role, "--scope", armScope]);
  }
  return sp;
}

/** Polls until `check` holds or `ms` pass; the elapsed milliseconds. */
export async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
