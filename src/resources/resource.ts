import type { KeyObject } from "node:crypto";

/** Which of a resource's two access keys. */
export type KeyName = "primary" | "secondary";

export const KEY_NAMES: readonly KeyName[] = ["primary", "secondary"];

export interface AccessKey {
  name: KeyName;
  /** The key as given to clients (base64). */
  value: string;
  /**
   * The decoded bytes (decoded leniently, as the SDK does) as the HMAC key node:crypto keeps: a KeyObject, made once
   * when the resource is loaded, saves createHmac importing the raw key on every request (~1 µs of ~3).
   */
  hmacKey: KeyObject;
  /** Changes on every regeneration; carried by user tokens issued through this key. */
  id: string;
}

/** A Communication Services resource: the tenant boundary of every identity, thread and number. */
export interface Resource {
  id: string;
  name: string;
  hostnames: string[];
  isDefault: boolean;
  createdAt: number;
  keys: Record<KeyName, AccessKey>;
  // --- management plane (docs/management.md) ---
  resourceGroup: string;
  dataLocation: string;
  tags: Record<string, string>;
  /** ARM ids of linked e-mail domains. */
  linkedDomains: string[];
  notificationHub: { resourceId: string; connectionString: string } | null;
  /** The resource's own HTTPS port, or null: the default resource (main port) or an ephemeral port per process. */
  port: number | null;
  updatedAt: number;
}

export const COMMUNICATION_SERVICES_TYPE = "Microsoft.Communication/CommunicationServices";

/** `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Communication/communicationServices/{name}`. */
export function armIdOf(subscriptionId: string, r: Pick<Resource, "resourceGroup" | "name">): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${r.resourceGroup}/providers/Microsoft.Communication/communicationServices/${r.name}`;
}

export function connectionString(endpoint: string, key: string): string {
  return `endpoint=${endpoint.endsWith("/") ? endpoint : `${endpoint}/`};accesskey=${key}`;
}
