import { randomInt } from "node:crypto";
import type { Store } from "../../store/store.js";
import type { Clock } from "../../util/clock.js";
import { DeviceCodeRepository } from "./signin-repository.js";
import { digestSecret, newBearerSecret, SECRET_PREFIXES } from "./secret-digest.js";

/** Device codes are valid 15 minutes (Entra ID: 15). */
export const DEVICE_CODE_LIFETIME_MS = 15 * 60_000;
/** No 0/O, 1/I/L: the user types the code. */
const USER_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/** `ABCD-EFGH` as shown; stored and looked up without the dash, case-insensitively. */
export function normalizeUserCode(input: string): string {
  return input.toUpperCase().replace(/[^A-Z0-9]/g, "").slice(0, 16);
}

export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

export interface PendingDeviceCode {
  userCode: string;
  clientId: string;
  scope: string;
}

export type DevicePoll =
  | { state: "approved"; clientId: string; userObjectId: string; scope: string }
  | { state: "pending" | "expired" | "unknown" | "used" | "client" };

/** The device code flow's codes: the device's secret (stored as SHA-256) and the short code a user types. */
export class DeviceCodes {
  private readonly repository: DeviceCodeRepository;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {
    this.repository = new DeviceCodeRepository(store);
  }

  async start(clientId: string, scope: string): Promise<{ deviceCode: string; userCode: string; expiresInSec: number }> {
    const deviceCode = newBearerSecret(SECRET_PREFIXES.deviceCode);
    const userCode = Array.from({ length: 8 }, () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]).join("");
    const now = this.clock.now();
    await this.repository.insert(
      { device_code_hash: digestSecret(deviceCode), user_code: userCode, client_id: clientId, scope, user_object_id: null, created_at: now, expires_at: now + DEVICE_CODE_LIFETIME_MS, used_at: null },
      now,
    );
    return { deviceCode, userCode, expiresInSec: DEVICE_CODE_LIFETIME_MS / 1000 };
  }

  /** A code a user typed: pending (not approved, not expired) or undefined. */
  async pending(userCodeInput: string): Promise<PendingDeviceCode | undefined> {
    const userCode = normalizeUserCode(userCodeInput);
    const row = await this.repository.findByUserCode(userCode);
    if (row === undefined || row.user_object_id !== null || Number(row.expires_at) <= this.clock.now()) return undefined;
    return { userCode: row.user_code, clientId: row.client_id, scope: row.scope };
  }

  async approve(userCode: string, userObjectId: string): Promise<boolean> {
    return this.repository.approve(normalizeUserCode(userCode), userObjectId, this.clock.now());
  }

  /** The token endpoint's poll: approved codes are handed out once. */
  async poll(deviceCode: string, clientId: string): Promise<DevicePoll> {
    if (deviceCode.length > 200) return { state: "unknown" };
    const hash = digestSecret(deviceCode);
    const now = this.clock.now();
    return this.store.write(async (trx): Promise<DevicePoll> => {
      const row = await this.repository.findByHash(hash, trx);
      if (row === undefined) return { state: "unknown" };
      if (row.client_id !== clientId) return { state: "client" };
      if (row.used_at !== null) return { state: "used" };
      if (Number(row.expires_at) <= now) return { state: "expired" };
      if (row.user_object_id === null) return { state: "pending" };
      // Handed out once: a concurrent poll that lost the race is told the code was used.
      if (!(await this.repository.markUsed(trx, hash, now))) return { state: "used" };
      return { state: "approved", clientId: row.client_id, userObjectId: row.user_object_id, scope: row.scope };
    });
  }
}
