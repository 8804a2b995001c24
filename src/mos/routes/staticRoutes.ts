import type { FastifyInstance } from 'fastify';
import { RATER_JS, STYLE_CSS } from '../pages/assets.js';

/** The page script and stylesheet, served from constants (no file system access). */
export function staticRoutes(app: FastifyInstance): void {
  app.get('/static/rater.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(RATER_JS));
  app.get('/static/style.css', async (_req, reply) => reply.type('text/css; charset=utf-8').send(STYLE_CSS));
  app.get('/', async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send('<!doctype html><p>Listening test server. Open your invitation link.</p>'),
  );
}
