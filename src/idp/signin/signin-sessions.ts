import type { Store } from "../../store/store.js";
import type { Clock } from "../../util/clock.js";
import { SigninSessionRepository } from "./signin-repository.js";
import { digestSecret, newBearerSecret, SECRET_PREFIXES } from "./secret-digest.js";
import type { SigninKeys } from "./signin-keys.js";

export const SESSION_COOKIE = "sb_session";
const SESSION_PURPOSE = "session";
/** A sign-in session lasts a working day. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60_000;

/**
 * Browser sessions of the sign-in page: the cookie holds a random session id signed with the sign-in key; the
 * database holds its hash, so signing out ends the session everywhere.
 */
export class SigninSessions {
  private readonly repository: SigninSessionRepository;

  constructor(
    store: Store,
    private readonly keys: SigninKeys,
    private readonly clock: Clock,
  ) {
    this.repository = new SigninSessionRepository(store);
  }

  /** Starts a session for a user; returns the cookie value. */
  async start(userObjectId: string): Promise<string> {
    const id = newBearerSecret(SECRET_PREFIXES.session);
    const now = this.clock.now();
    await this.repository.insert({ id_hash: digestSecret(id), user_object_id: userObjectId, created_at: now, expires_at: now + SESSION_LIFETIME_MS, ended_at: null });
    return this.keys.sign(SESSION_PURPOSE, id);
  }

  /** The user of a live session cookie, or undefined. */
  async userOf(cookie: string | undefined): Promise<string | undefined> {
    const id = this.keys.unsign(SESSION_PURPOSE, cookie);
    if (id === undefined) return undefined;
    const row = await this.repository.find(digestSecret(id));
    if (row === undefined || row.ended_at !== null || Number(row.expires_at) <= this.clock.now()) return undefined;
    return row.user_object_id;
  }

  async end(cookie: string | undefined): Promise<void> {
    const id = this.keys.unsign(SESSION_PURPOSE, cookie);
    if (id === undefined) return;
    await this.repository.end(digestSecret(id), this.clock.now());
  }

  /** Set-Cookie for a session on the authority's tenant path: HttpOnly, Secure, SameSite=Lax. */
  static setCookie(value: string, path: string, maxAgeSec = SESSION_LIFETIME_MS / 1000): string {
    return `${SESSION_COOKIE}=${value}; Path=${path}; Max-Age=${maxAgeSec}; HttpOnly; Secure; SameSite=Lax`;
  }

  static clearCookie(path: string): string {
    return `${SESSION_COOKIE}=; Path=${path}; Max-Age=0; HttpOnly; Secure; SameSite=Lax`;
  }
}
