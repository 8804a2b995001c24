import type { FastifyInstance } from 'fastify';
import { FAVICON_SVG, RATER_JS, STYLE_CSS } from '../pages/assets.js';

/** The page script and stylesheet, served from constants (no file system access). */
const schema = { querystring: { type: 'object', additionalProperties: false, properties: {} } } as const;

export function staticRoutes(app: FastifyInstance): void {
  app.get('/static/rater.js', { schema }, async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(RATER_JS));
  app.get('/static/style.css', { schema }, async (_req, reply) => reply.type('text/css; charset=utf-8').send(STYLE_CSS));
  // Browsers ask for /favicon.ico on their own; pages link the SVG.
  for (const path of ['/static/favicon.svg', '/favicon.ico'])
    app.get(path, { schema }, async (_req, reply) => reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON_SVG));
  app.get('/', { schema }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send('<!doctype html><p>Listening test server. Open your invitation link.</p>'),
  );
}
