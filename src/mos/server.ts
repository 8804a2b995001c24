import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { AdminSessions, COOKIE_MAX_AGE_SECONDS, RATER_COOKIE } from './auth.js';
import { MosError } from './errors.js';
import { errorPage } from './pages/html.js';
import { adminRoutes } from './routes/adminRoutes.js';
import { audioRoute } from './routes/audioRoute.js';
import type { RouteContext } from './routes/context.js';
import { raterRoutes } from './routes/raterRoutes.js';
import { staticRoutes } from './routes/staticRoutes.js';
import type { MosStore } from './store.js';

export interface MosServerOptions {
  store: MosStore;
  /** The admin secret (from MUSICGEN_MOS_ADMIN_SECRET or generated at start; never stored). */
  adminSecret: string;
  /** Base URL printed in invitation links. */
  publicUrl: string;
  /** A clip counts as heard once this share of its duration passed between start and end events (default 0.9). */
  minListenRatio?: number;
  /** Requests per minute per rater (or per IP without a rater cookie); default 600. */
  rateLimitPerMinute?: number;
  /** Set the Secure flag on cookies (serve behind https). */
  secureCookies?: boolean;
  logger?: boolean;
  now?: () => number;
}

/** Largest request body accepted: a rating form is well under 2 KiB. */
export const BODY_LIMIT = 16 * 1024;

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Invitation tokens are in URLs: never leak them to other sites.
  'referrer-policy': 'no-referrer',
};

/** Builds the listening-test server (not listening yet; `app.listen` or `app.inject`). */
export async function buildMosServer(opts: MosServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
    // Reject unknown fields instead of silently dropping them; coerce form strings to numbers.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: BODY_LIMIT });
  await app.register(fastifyRateLimit, {
    global: true,
    max: opts.rateLimitPerMinute ?? 600,
    timeWindow: '1 minute',
    keyGenerator: (req) => {
      const t = req.cookies[RATER_COOKIE];
      return typeof t === 'string' && t.length <= 64 ? `r:${t}` : `ip:${req.ip}`;
    },
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) reply.header('cache-control', 'no-store');
    return payload;
  });

  // Clients get a status and a one-line reason, never a stack trace or an internal message.
  app.setErrorHandler((err: FastifyError, req, reply) => {
    let status = 500;
    let message = 'internal error';
    if (err.validation) {
      status = 400;
      message = `invalid request: ${err.message}`;
    } else if (err instanceof MosError) {
      status = err.statusCode;
      message = err.message;
    } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode;
      message = err.message;
    }
    if (status >= 500) req.log.error(err);
    reply.code(status);
    if (String(req.headers.accept ?? '').includes('text/html')) return reply.type('text/html; charset=utf-8').send(errorPage(status, message));
    return reply.send({ error: message });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404);
    if (String(req.headers.accept ?? '').includes('text/html')) return reply.type('text/html; charset=utf-8').send(errorPage(404, 'not found'));
    return reply.send({ error: 'not found' });
  });

  const ctx: RouteContext = {
    store: opts.store,
    admin: new AdminSessions(opts.adminSecret),
    cookies: { secure: opts.secureCookies ?? false, maxAgeSeconds: COOKIE_MAX_AGE_SECONDS },
    minListenRatio: opts.minListenRatio ?? 0.9,
    // Read on use: `startMosServer` learns the bound port only after listen.
    get publicUrl() {
      return opts.publicUrl.replace(/\/+$/, '');
    },
    now: opts.now ?? Date.now,
  };
  staticRoutes(app);
  raterRoutes(app, ctx);
  audioRoute(app, ctx);
  adminRoutes(app, ctx);
  return app;
}
