import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppAuthError } from './errors.js';
import { ID_PATTERN, randomId } from './randomId.js';

export const SESSION_COOKIE = 'musicgen_app';
const ID_RE = new RegExp(ID_PATTERN);

function sameSecret(a: string, b: string): boolean {
  // Hashing first makes the lengths equal for timingSafeEqual.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export interface Session {
  id: string;
  csrf: string;
}

/**
 * Browser sessions, in memory: the page sets an httpOnly SameSite=Strict cookie and embeds the
 * session's CSRF token; every state-changing request sends it in x-csrf-token. Jobs, uploads and
 * result files belong to the session that made them.
 */
export class Sessions {
  private readonly sessions = new Map<string, { csrf: string; expires: number }>();
  private static readonly MAX = 1000;
  private static readonly TTL_MS = 24 * 60 * 60 * 1000;

  constructor(
    private readonly now: () => number,
    private readonly secureCookies: boolean,
  ) {}

  /** The request's session, or a new one whose cookie is set on `reply`. */
  ensure(req: FastifyRequest, reply: FastifyReply): Session {
    const found = this.find(req);
    if (found) return found;
    const t = this.now();
    for (const [k, v] of this.sessions) if (v.expires < t || this.sessions.size >= Sessions.MAX) this.sessions.delete(k);
    const s = { id: randomId(), csrf: randomId() };
    this.sessions.set(s.id, { csrf: s.csrf, expires: t + Sessions.TTL_MS });
    reply.setCookie(SESSION_COOKIE, s.id, { path: '/', httpOnly: true, sameSite: 'strict', secure: this.secureCookies, maxAge: Sessions.TTL_MS / 1000 });
    return s;
  }

  find(req: FastifyRequest): Session | null {
    const id = req.cookies[SESSION_COOKIE];
    if (typeof id !== 'string' || !ID_RE.test(id)) return null;
    const s = this.sessions.get(id);
    if (!s || s.expires < this.now()) return null;
    return { id, csrf: s.csrf };
  }

  /** The session of a read-only request (SSE, files): cookie only. */
  require(req: FastifyRequest): Session {
    const s = this.find(req);
    if (!s) throw new AppAuthError('no session: reload the page');
    return s;
  }

  /** The session of a state-changing request: cookie and matching x-csrf-token header. */
  requireWithCsrf(req: FastifyRequest): Session {
    const s = this.require(req);
    const given = req.headers['x-csrf-token'];
    if (typeof given !== 'string' || !sameSecret(s.csrf, given)) {
      throw new AppAuthError('the page expired or the request did not come from it: reload the page and try again');
    }
    return s;
  }
}
