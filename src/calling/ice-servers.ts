import { createHmac } from "node:crypto";
import type { Config } from "../config/config.js";

/** An entry of RTCConfiguration.iceServers as the browser takes it. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/**
 * TURN REST API credentials (draft-uberti-behave-turn-rest, coturn `use-auth-secret`): the username is
 * `<expiry epoch seconds>:<label>` and the password is base64(HMAC-SHA1(secret, username)). The TURN server checks
 * both without asking us, and refuses the credential once the expiry has passed.
 */
export function turnCredential(secret: string, label: string, expiresAt: number): { username: string; credential: string } {
  const username = `${expiresAt}:${label}`;
  return { username, credential: createHmac("sha1", secret).update(username).digest("base64") };
}

/** The ICE servers handed to one participant of one call: STUN as configured, TURN with a per-call credential. */
export function iceServersFor(config: Config["calling"], callId: string, nowMs: number): IceServer[] {
  const servers: IceServer[] = [];
  if (config.stunUrls.length > 0) servers.push({ urls: [...config.stunUrls] });
  if (config.turn !== undefined) {
    const expiresAt = Math.floor(nowMs / 1000) + config.turn.ttlSeconds;
    servers.push({ urls: [...config.turn.urls], ...turnCredential(config.turn.secret, callId, expiresAt) });
  }
  return servers;
}
