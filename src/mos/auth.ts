import type { FastifyRequest } from 'fastify';
import { FailureBudget } from '../web/failureBudget.js';
import { sameSecret } from '../web/sameSecret.js';
import { SessionTable } from '../web/sessionTable.js';
import { MosAuthError, MosTooManyError } from './errors.js';
import { randomToken } from './random.js';
import type { MosStore, RaterRow } from './store.js';

export const RATER_COOKIE = 'mos_rater';
export const ADMIN_COOKIE = 'mos_admin';
/** Raters' and CSRF tokens: 32 URL-safe characters from randomToken(). */
export const TOKEN_PATTERN = '^[A-Za-z0-9_-]{16,64}$';

/** Rater and admin cookies last 30 days (a rater may come back to a batch later). */
export const COOKIE_MAX_AGE_SECONDS = 60 * 60 * 24 * 30;

/** The rater whose token is in the cookie, or a 403 naming what to do. */
export function currentRater(store: MosStore, request: FastifyRequest): RaterRow {
  const token = request.cookies[RATER_COOKIE];
  const rater = typeof token === 'string' && new RegExp(TOKEN_PATTERN).test(token) ? store.raterByToken(token) : undefined;
  if (!rater) throw new MosAuthError('no rating session: open your invitation link again');
  return rater;
}

export function checkCsrf(expected: string, given: unknown): void {
  if (!sameSecret(expected, given))
    throw new MosAuthError('the form expired or did not come from this site: reload the page and try again');
}

/**
 * Wrong admin secrets allowed from all clients together per window (on top of the per-address
 * limit of the login route): 30 per 15 minutes. Guessing a 16-character secret at that rate
 * takes longer than any test runs; a spent budget locks the admin out too until the window passes
 * or the server restarts.
 */
export const ADMIN_FAILURE_BUDGET = { max: 30, windowMs: 15 * 60 * 1000 } as const;

/**
 * Admin sessions: the secret is checked once at login and never stored; the browser gets a
 * random session id (kept in memory, so a restart logs admins out) with its own CSRF token.
 * Scripts may instead send `Authorization: Bearer <secret>` (no cookie, so no CSRF risk).
 * Wrong secrets, by form or bearer header, spend one shared failure budget.
 */
export class AdminSessions {
  private readonly sessions = new SessionTable(12 * 60 * 60 * 1000, () => randomToken());
  private readonly failures = new FailureBudget(ADMIN_FAILURE_BUDGET.max, ADMIN_FAILURE_BUDGET.windowMs);

  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Checks a given secret; a 429 without checking once too many wrong ones came in. */
  secretMatches(given: string): boolean {
    const now = this.now();
    if (this.failures.exhausted(now))
      throw new MosTooManyError(
        `too many wrong admin secrets; try again in ${Math.ceil(this.failures.retryAfterMs(now) / 60000)} minutes (or restart the server)`,
      );
    const ok = sameSecret(this.secret, given);
    if (!ok) this.failures.record(now);
    return ok;
  }

  create(): { id: string; csrf: string } {
    return this.sessions.create(Date.now());
  }

  end(id: string): void {
    this.sessions.end(id);
  }

  /** How the request is authenticated as admin: 'bearer', a cookie session (with its CSRF), or null. */
  identify(request: FastifyRequest): { kind: 'bearer' } | { kind: 'cookie'; id: string; csrf: string } | null {
    const auth = request.headers.authorization;
    if (typeof auth === 'string' && auth.startsWith('Bearer ')) return this.secretMatches(auth.slice(7)) ? { kind: 'bearer' } : null;
    const s = this.sessions.find(request.cookies[ADMIN_COOKIE], Date.now());
    return s ? { kind: 'cookie', id: s.id, csrf: s.csrf } : null;
  }
}
