import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './httpError.js';

/** What a client is told about a failed request: a status, a one-line reason, and the form field it concerns. */
export interface ErrorReply {
  status: number;
  message: string;
  field?: string | null;
}

/** A server's HTML error page (each server has its own look); `path` is the request's, so it can link back to the right place. */
export type ErrorPage = (status: number, message: string, path: string) => string;

export interface ErrorReplyOptions {
  errorPage: ErrorPage;
  /** Name the body property a schema check failed on in `field` (the app shows it next to the input). */
  validationField?: boolean;
  /**
   * The server's own cases, tried after schema validation and before the generic rules (its
   * HttpErrors, other 4xx errors, everything else a 500). Null: not one of them.
   */
  explain?: (err: FastifyError, req: FastifyRequest) => ErrorReply | null;
}

function wantsHtml(req: FastifyRequest): boolean {
  return String(req.headers.accept ?? '').includes('text/html');
}

function send(req: FastifyRequest, reply: FastifyReply, errorPage: ErrorPage, { status, message, field }: ErrorReply): FastifyReply {
  reply.code(status);
  if (wantsHtml(req)) return reply.type('text/html; charset=utf-8').send(errorPage(status, message, req.url));
  return reply.send(field ? { error: message, field } : { error: message });
}

function describe(err: FastifyError, req: FastifyRequest, o: ErrorReplyOptions): ErrorReply {
  if (err.validation) {
    const path = err.validation[0]?.instancePath?.replace(/^\//, '').split('/')[0];
    const field = o.validationField && err.validationContext === 'body' && path ? path : null;
    return { status: 400, message: `invalid request: ${err.message}`, field };
  }
  const own = o.explain?.(err, req);
  if (own) return own;
  if (err instanceof HttpError) return { status: err.statusCode, message: err.message };
  // Fastify's and plugins' client errors (bad JSON, rate limit, ...) already say what is wrong.
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return { status: err.statusCode, message: err.message };
  return { status: 500, message: 'internal error' };
}

/**
 * Error and 404 handlers: clients get a status and a one-line reason (an HTML page when the
 * browser asked for HTML, else `{ error, field? }`), never a stack trace or an internal message.
 * Unexpected server errors go to the request log instead.
 */
export function installErrorReplies(app: FastifyInstance, o: ErrorReplyOptions): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const answer = describe(err, req, o);
    if (answer.status >= 500 && !(err instanceof HttpError)) req.log.error(err);
    return send(req, reply, o.errorPage, answer);
  });
  app.setNotFoundHandler((req, reply) => send(req, reply, o.errorPage, { status: 404, message: 'not found' }));
}
