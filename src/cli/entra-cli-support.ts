import type { Core } from "../core.js";
import type { PrincipalRecord } from "../idp/entra-principals.js";
import { isArmScope } from "../rbac/arm-scope.js";
import { ALL_RESOURCES } from "../rbac/role-store.js";
import { endpointHost } from "./banner.js";
import { pickResource } from "./keys-command.js";
import { rolePrincipalKey } from "../rbac/principal-key.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The authority host a client should use: what `start` listens on with this configuration. */
export function authorityHostOf(core: Core, override?: string): string {
  if (override !== undefined) return override.replace(/\/+$/, "");
  return `https://${endpointHost(core.config.host)}:${core.config.port}`;
}

/** A built-in principal by object id, client id or name; fails with one clear line. */
export async function requirePrincipal(core: Core, ref: string, kind?: PrincipalRecord["kind"]): Promise<PrincipalRecord> {
  const found = await core.entra.principals.resolve(ref);
  if (found === undefined || (kind !== undefined && found.kind !== kind)) {
    throw new Error(`no ${kind === "user" ? "user" : kind === "service-principal" ? "service principal" : "principal"} '${ref}'`);
  }
  return found;
}

/**
 * The object id a role is assigned to: a built-in principal (client id, object id or user name), or the object id
 * (`oid`) of a principal of a trusted external issuer.
 */
export async function principalIdFor(core: Core, ref: string, issuer?: string): Promise<string> {
  // A trusted issuer's principal is keyed by (issuer, object id): see rbac/principal-key.ts.
  if (issuer !== undefined) return rolePrincipalKey(ref, issuer);
  const found = await core.entra.principals.resolve(ref);
  if (found !== undefined) return found.objectId;
  if (GUID.test(ref)) return ref.toLowerCase();
  throw new Error(`no principal '${ref}' (give a client id, an object id, a user name, or an external principal's object id)`);
}

/**
 * The scope of a role assignment: an ARM scope (`--scope /subscriptions/{id}[/resourceGroups/{rg}[/providers/…/{name}]]`),
 * one resource (`--resource` name or id, stored as its immutable id, which survives nothing but that resource), or
 * every resource.
 */
export function scopeFor(core: Core, resource: string | undefined, armScope?: string): string {
  if (armScope !== undefined) {
    if (resource !== undefined) throw new Error("give --scope or --resource, not both");
    return checkArmScope(core, armScope);
  }
  if (resource === undefined) return ALL_RESOURCES;
  return pickResource(core, resource).id;
}

function checkArmScope(core: Core, scope: string): string {
  const trimmed = scope.trim().replace(/\/+$/, "");
  if (!isArmScope(trimmed)) {
    throw new Error(`--scope must be /subscriptions/{id}, /subscriptions/{id}/resourceGroups/{rg} or a resource's ARM id, got '${scope}'`);
  }
  const sub = trimmed.split("/")[2]!;
  if (sub.toLowerCase() !== core.management.subscriptionId.toLowerCase()) {
    throw new Error(`this server's subscription is ${core.management.subscriptionId}, not ${sub}`);
  }
  return trimmed;
}

export function describeScope(core: Core, scope: string): string {
  if (scope === ALL_RESOURCES) return "every resource";
  if (scope.startsWith("/")) return scope;
  const r = core.registry.get(scope);
  return r === undefined ? `resource ${scope}` : `resource ${r.name} (${r.id})`;
}

/** `--expires-in-days N` → epoch ms, or null (no expiry). */
export function expiryFrom(core: Core, days: string | undefined): number | null {
  if (days === undefined) return null;
  const n = Number(days);
  if (!Number.isFinite(n) || n <= 0 || n > 3650) throw new Error(`--expires-in-days must be a number of days from 1 to 3650, got '${days}'`);
  return core.clock.now() + Math.round(n * 24 * 60 * 60_000);
}
