import type { FastifyReply, FastifyRequest } from 'fastify';
import { sameSecret } from '../web/sameSecret.js';
import { setSessionCookie } from '../web/sessionCookie.js';
import { SessionTable, type SessionIds } from '../web/sessionTable.js';
import { AppAuthError } from './errors.js';
import { ID_PATTERN, randomId } from './randomId.js';

export const SESSION_COOKIE = 'musicgen_app';
const ID_RE = new RegExp(ID_PATTERN);
const TTL_MS = 24 * 60 * 60 * 1000;

export type Session = SessionIds;

/**
 * Browser sessions, in memory: the page sets an httpOnly SameSite=Strict cookie and embeds the
 * session's CSRF token; every state-changing request sends it in x-csrf-token. Jobs, uploads and
 * result files belong to the session that made them.
 */
export class Sessions {
  private readonly table = new SessionTable(TTL_MS, randomId);

  constructor(
    private readonly now: () => number,
    private readonly secureCookies: boolean,
  ) {}

  /** The request's session, or a new one whose cookie is set on `reply`. */
  ensure(req: FastifyRequest, reply: FastifyReply): Session {
    const found = this.find(req);
    if (found) return found;
    const s = this.table.create(this.now());
    setSessionCookie(reply, SESSION_COOKIE, s.id, { secure: this.secureCookies, maxAgeSeconds: TTL_MS / 1000 });
    return s;
  }

  find(req: FastifyRequest): Session | null {
    const id = req.cookies[SESSION_COOKIE];
    if (typeof id !== 'string' || !ID_RE.test(id)) return null;
    return this.table.find(id, this.now());
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
    if (!sameSecret(s.csrf, req.headers['x-csrf-token'])) {
      throw new AppAuthError('the page expired or the request did not come from it: reload the page and try again');
    }
    return s;
  }
}
