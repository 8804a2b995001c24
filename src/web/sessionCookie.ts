import type { FastifyReply } from 'fastify';

export interface SessionCookieSettings {
  /** Set the Secure flag (when served over https behind a proxy). */
  secure: boolean;
  maxAgeSeconds: number;
}

/**
 * Sets a session cookie the page's scripts cannot read (httpOnly) and other sites cannot make
 * the browser send (SameSite=Strict), for the whole site.
 */
export function setSessionCookie(reply: FastifyReply, name: string, value: string, c: SessionCookieSettings): void {
  reply.setCookie(name, value, { path: '/', httpOnly: true, sameSite: 'strict', secure: c.secure, maxAge: c.maxAgeSeconds });
}
