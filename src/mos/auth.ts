import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MosAuthError } from './errors.js';
import { randomToken } from './random.js';
import type { MosStore, RaterRow } from './store.js';

export const RATER_COOKIE = 'mos_rater';
export const ADMIN_COOKIE = 'mos_admin';
/** Raters' and CSRF tokens: 32 URL-safe characters from randomToken(). */
export const TOKEN_PATTERN = '^[A-Za-z0-9_-]{16,64}$';

/** Constant-time string comparison (hashing first makes lengths equal). */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export interface CookieSettings {
  /** Set the Secure flag (when served over https behind a proxy). */
  secure: boolean;
}

export function setSessionCookie(reply: FastifyReply, name: string, value: string, c: CookieSettings): void {
  reply.setCookie(name, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: c.secure,
    maxAge: 60 * 60 * 24 * 30,
  });
}

/** The rater whose token is in the cookie, or a 403 naming what to do. */
export function currentRater(store: MosStore, request: FastifyRequest): RaterRow {
  const token = request.cookies[RATER_COOKIE];
  const rater = typeof token === 'string' && new RegExp(TOKEN_PATTERN).test(token) ? store.raterByToken(token) : undefined;
  if (!rater) throw new MosAuthError('no rating session: open your invitation link again');
  return rater;
}

export function checkCsrf(expected: string, given: unknown): void {
  if (typeof given !== 'string' || !sameSecret(expected, given))
    throw new MosAuthError('the form expired or did not come from this site: reload the page and try again');
}

/**
 * Admin sessions: the secret is checked once at login and never stored; the browser gets a
 * random session id (kept in memory, so a restart logs admins out) with its own CSRF token.
 * Scripts may instead send `Authorization: Bearer <secret>` (no cookie, so no CSRF risk).
 */
export class AdminSessions {
  private readonly sessions = new Map<string, { csrf: string; expires: number }>();
  private static readonly MAX = 1000;
  private static readonly TTL_MS = 12 * 60 * 60 * 1000;

  constructor(private readonly secret: string) {}

  secretMatches(given: string): boolean {
    return sameSecret(this.secret, given);
  }

  create(): { id: string; csrf: string } {
    const now = Date.now();
    for (const [k, v] of this.sessions) if (v.expires < now || this.sessions.size >= AdminSessions.MAX) this.sessions.delete(k);
    const id = randomToken();
    const csrf = randomToken();
    this.sessions.set(id, { csrf, expires: now + AdminSessions.TTL_MS });
    return { id, csrf };
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  /** How the request is authenticated as admin: 'bearer', a cookie session (with its CSRF), or null. */
  identify(request: FastifyRequest): { kind: 'bearer' } | { kind: 'cookie'; id: string; csrf: string } | null {
    const auth = request.headers.authorization;
    if (typeof auth === 'string' && auth.startsWith('Bearer ') && this.secretMatches(auth.slice(7))) return { kind: 'bearer' };
    const id = request.cookies[ADMIN_COOKIE];
    if (typeof id !== 'string') return null;
    const s = this.sessions.get(id);
    if (!s || s.expires < Date.now()) return null;
    return { kind: 'cookie', id, csrf: s.csrf };
  }
}
