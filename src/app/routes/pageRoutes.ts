import type { FastifyInstance } from 'fastify';
import { faviconIco } from '../favicon.js';
import { appPage } from '../pages/appPage.js';
import { APP_CSS, APP_JS } from '../pages/assets.js';
import { NO_QUERY, type AppContext } from './context.js';

const schema = { querystring: NO_QUERY } as const;

/** The page (which starts a session), its script and stylesheet (constants, no file access), and the model list. */
export function pageRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/static/app.js', { schema }, async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(APP_JS));
  app.get('/static/app.css', { schema }, async (_req, reply) => reply.type('text/css; charset=utf-8').send(APP_CSS));
  const icon = faviconIco();
  app.get('/favicon.ico', { schema }, async (_req, reply) => reply.type('image/x-icon').header('cache-control', 'public, max-age=86400').send(icon));
  app.get('/', { schema }, async (req, reply) => {
    const session = ctx.sessions.ensure(req, reply);
    return reply.type('text/html; charset=utf-8').send(appPage({ models: ctx.models, csrf: session.csrf, maxUploadBytes: ctx.maxUploadBytes }));
  });
  app.get('/api/models', { schema }, async () => ({
    models: ctx.models.map((m) => ({ id: m.id, label: m.label, melody: m.melody, continuation: m.continuation, sampleRate: m.sampleRate })),
    queueLimit: ctx.jobs.limit,
    queues: ctx.jobs.queueState(),
  }));
}
