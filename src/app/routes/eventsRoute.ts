import type { FastifyInstance } from 'fastify';
import type { JobEvent } from '../jobs.js';
import { jobParams } from './apiRoutes.js';
import { NO_QUERY, SECURITY_HEADERS, type AppContext } from './context.js';

const TERMINAL = new Set<JobEvent['type']>(['done', 'failed', 'interrupted']);
/** A comment line this often keeps proxies and the browser from timing the stream out. */
const KEEPALIVE_MS = 15_000;

/**
 * A job's progress as server-sent events: the current state first, then every change, and the
 * stream ends after the final event (done, failed or interrupted).
 */
export function eventsRoute(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Params: { id: string } }>('/api/jobs/:id/events', { schema: { params: jobParams, querystring: NO_QUERY } }, async (req, reply) => {
    const session = ctx.sessions.require(req);
    // Subscribe before hijacking so an unknown job still gets a normal 404 answer.
    const queue: JobEvent[] = [];
    let write: ((e: JobEvent) => void) | null = null;
    const sub = ctx.jobs.subscribe(req.params.id, session.id, (e) => (write ? write(e) : queue.push(e)));
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    let closed = false;
    const keepalive = setInterval(() => raw.write(': keep-alive\n\n'), KEEPALIVE_MS);
    const close = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(keepalive);
      sub.unsubscribe();
      raw.end();
    };
    write = (e: JobEvent): void => {
      if (closed) return;
      raw.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      if (TERMINAL.has(e.type)) close();
    };
    // The response's close (not the request's, which may fire once its body is read) marks the
    // browser leaving; a socket error ends the stream the same way.
    raw.on('close', close);
    raw.on('error', close);
    write(sub.current);
    for (const e of queue.splice(0)) write(e);
  });
}
