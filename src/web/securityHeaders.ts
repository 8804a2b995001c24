import type { FastifyInstance } from 'fastify';

export interface SecurityHeaderOptions {
  /**
   * Also allow `data:` images. The MOS server's CSP has always had it (no page of it needs it
   * today); kept so that server's headers stay exactly as they were.
   */
  dataImages?: boolean;
}

/**
 * Headers every response of our servers carries: a CSP that allows only same-origin scripts,
 * styles and media, no framing, no MIME sniffing, and no Referer (invitation tokens and job ids
 * are in URLs and must not leak to other sites).
 */
export function securityHeaders(o: SecurityHeaderOptions = {}): Readonly<Record<string, string>> {
  const img = o.dataImages ? "img-src 'self' data:" : "img-src 'self'";
  return {
    'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; ${img}; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  };
}

/**
 * Adds `headers` to every reply Fastify sends, and `cache-control: no-store` to HTML pages (they
 * embed CSRF tokens and per-user state). Hijacked replies (event streams) bypass this hook and
 * must write the headers themselves.
 */
export function sendSecurityHeaders(app: FastifyInstance, headers: Readonly<Record<string, string>>): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [k, v] of Object.entries(headers)) reply.header(k, v);
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
