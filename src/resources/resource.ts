/** Which of a resource's two access keys. */
export type KeyName = "primary" | "secondary";

export const KEY_NAMES: readonly KeyName[] = ["primary", "secondary"];

export interface AccessKey {
  name: KeyName;
  /** The key as given to clients (base64). */
  value: string;
  /** The decoded bytes used as the HMAC key (decoded leniently, as the SDK does). */
  bytes: Buffer;
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
}

export function connectionString(endpoint: string, key: string): string {
  return `endpoint=${endpoint.endsWith("/") ? endpoint : `${endpoint}/`};accesskey=${key}`;
}
