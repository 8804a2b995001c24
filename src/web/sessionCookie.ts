import type { FastifyReply } from 'fastify';

export interface SessionCookieSettings {
  /** Set the Secure flag (when served over https behind a proxy). */
  secure: boolean;
  maxAgeSeconds: number;
  /**
   * 'strict' (default): other sites can never make the browser send it. 'lax': also sent on a
   * top-level GET navigation from another site (a link clicked in webmail), never on another
   * site's POST; every state-changing POST must then still check a CSRF token.
   */
  sameSite?: 'strict' | 'lax';
}

/** Sets a session cookie the page's scripts cannot read (httpOnly), for the whole site. */
export function setSessionCookie(reply: FastifyReply, name: string, value: string, c: SessionCookieSettings): void {
  reply.setCookie(name, value, { path: '/', httpOnly: true, sameSite: c.sameSite ?? 'strict', secure: c.secure, maxAge: c.maxAgeSeconds });
}
