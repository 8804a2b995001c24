import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { securityHeaders } from '../web/securityHeaders.js';
import { createWebServer } from '../web/webServer.js';
import { AdminSessions, COOKIE_MAX_AGE_SECONDS } from './auth.js';
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
  /**
   * A clip counts as heard once the page's played ranges cover this share of it and as much time
   * passed on the server's clock since it first started (default 0.9).
   */
  minListenRatio?: number;
  /** Requests per minute per client address (never per cookie: a client chooses those); default 1200. */
  rateLimitPerMinute?: number;
  /**
   * Proxies whose X-Forwarded-For is believed for the client address (addresses/CIDRs,
   * comma-separated). Default none: behind a reverse proxy every rater would otherwise share the
   * proxy's address and rate budget.
   */
  trustProxy?: string;
  /** Set the Secure flag on cookies (serve behind https). */
  secureCookies?: boolean;
  logger?: boolean;
  now?: () => number;
}

/**
 * Requests per minute per client address. A rated ACR page is about 8 requests, a MUSHRA page
 * about 20; raters behind one NAT share the budget (raise it with --rate-limit).
 */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 1200;

/** Largest request body accepted: a rating form is well under 2 KiB. */
export const BODY_LIMIT = 16 * 1024;

/** Builds the listening-test server (not listening yet; `app.listen` or `app.inject`). */
export async function buildMosServer(opts: MosServerOptions): Promise<FastifyInstance> {
  const app = await createWebServer({
    logger: opts.logger ?? false,
    bodyLimit: BODY_LIMIT,
    // No coercion: JSON true, null or "0x10" must not become numbers. Form fields are strings
    // with decimal patterns (see routes/schemas.ts), converted by the routes.
    coerceTypes: false,
    rateLimit: { perMinute: opts.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE },
    trustProxy: opts.trustProxy,
    headers: securityHeaders({ dataImages: true }),
    errors: { errorPage },
  });
  await app.register(fastifyFormbody, { bodyLimit: BODY_LIMIT });

  const ctx: RouteContext = {
    store: opts.store,
    admin: new AdminSessions(opts.adminSecret, opts.now ?? Date.now),
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
