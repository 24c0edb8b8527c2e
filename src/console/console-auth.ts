import { createHash, randomBytes } from "node:crypto";
import type { Store } from "../store/store.js";
import type { Clock } from "../util/clock.js";
import { ConsoleSessionRepository } from "./console-repository.js";
import { constantTimeEqual } from "../util/crypto.js";

export const CONSOLE_COOKIE = "sb_console";
/** A sign-in link is good for one use within five minutes. */
export const LINK_LIFETIME_MS = 5 * 60_000;
/** A console session lasts a working day. */
export const CONSOLE_SESSION_MS = 12 * 60 * 60_000;

const LINK_PREFIX = "sbcl1.";
const SESSION_PREFIX = "sbcs1.";

function digest(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString("hex")}`;
}

export interface ConsoleSession {
  operator: string;
  /** Set when the session acts as a built-in user: its role assignments decide what it may do. */
  userObjectId?: string;
  /** The CSRF token of this session: state-changing requests carry it (form field `csrf` or header x-csrf-token). */
  csrf: string;
}

/** The CSRF token is derived from the session secret: a page of this origin can read it, another site cannot. */
function csrfOf(sessionSecret: string): string {
  return createHash("sha256").update(`console-csrf:${sessionSecret}`).digest("base64url");
}

function sessionOf(operator: string, userObjectId: string | null, secret: string): ConsoleSession {
  return { operator, csrf: csrfOf(secret), ...(userObjectId !== null ? { userObjectId } : {}) };
}

export function parseCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Console sign-in: `switchboard console link` stores the SHA-256 of a one-time token; redeeming it (once, before it
 * expires) starts a session whose id is likewise stored only as its SHA-256.
 */
export class ConsoleAuth {
  private readonly repository: ConsoleSessionRepository;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {
    this.repository = new ConsoleSessionRepository(store);
  }

  /** A new one-time link token for an operator. */
  async createLink(operator: string, lifetimeMs = LINK_LIFETIME_MS, userObjectId?: string): Promise<{ token: string; expiresAt: number }> {
    const token = newSecret(LINK_PREFIX);
    const now = this.clock.now();
    await this.repository.insertLink({ token_hash: digest(token), operator, user_object_id: userObjectId ?? null, created_at: now, expires_at: now + lifetimeMs, used_at: null });
    return { token, expiresAt: now + lifetimeMs };
  }

  /** Spends a link token and starts a session; undefined when unknown, expired or already used. */
  async redeem(token: string): Promise<{ cookie: string; session: ConsoleSession } | undefined> {
    if (!token.startsWith(LINK_PREFIX) || token.length > 200) return undefined;
    const hash = digest(token);
    const now = this.clock.now();
    return this.store.write(async (trx) => {
      if (!(await this.repository.spendLink(trx, hash, now))) return undefined;
      const link = await this.repository.getLink(trx, hash);
      const secret = newSecret(SESSION_PREFIX);
      await this.repository.insertSession(trx, { id_hash: digest(secret), operator: link.operator, user_object_id: link.user_object_id, created_at: now, expires_at: now + CONSOLE_SESSION_MS, ended_at: null });
      return { cookie: secret, session: sessionOf(link.operator, link.user_object_id, secret) };
    });
  }

  /** Starts a session directly (a built-in user who signed in on the authority's page). */
  async start(operator: string, userObjectId: string | null): Promise<{ cookie: string; session: ConsoleSession }> {
    const secret = newSecret(SESSION_PREFIX);
    const now = this.clock.now();
    await this.store.write(async (trx) => {
      await this.repository.insertSession(trx, { id_hash: digest(secret), operator, user_object_id: userObjectId, created_at: now, expires_at: now + CONSOLE_SESSION_MS, ended_at: null });
    });
    return { cookie: secret, session: sessionOf(operator, userObjectId, secret) };
  }

  /** The live session of a cookie value, or undefined. */
  async session(cookie: string | undefined): Promise<ConsoleSession | undefined> {
    if (cookie === undefined || !cookie.startsWith(SESSION_PREFIX) || cookie.length > 200) return undefined;
    const row = await this.repository.findSession(digest(cookie));
    if (row === undefined || row.ended_at !== null || Number(row.expires_at) <= this.clock.now()) return undefined;
    return sessionOf(row.operator, row.user_object_id, cookie);
  }

  async end(cookie: string | undefined): Promise<void> {
    if (cookie === undefined) return;
    await this.repository.endSession(digest(cookie), this.clock.now());
  }

  static checkCsrf(session: ConsoleSession, presented: string | undefined): boolean {
    return presented !== undefined && constantTimeEqual(presented, session.csrf);
  }

  static setCookie(value: string): string {
    return `${CONSOLE_COOKIE}=${value}; Path=/console; Max-Age=${CONSOLE_SESSION_MS / 1000}; HttpOnly; Secure; SameSite=Strict`;
  }

  static clearCookie(): string {
    return `${CONSOLE_COOKIE}=; Path=/console; Max-Age=0; HttpOnly; Secure; SameSite=Strict`;
  }
}
