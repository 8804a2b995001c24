import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import type { Server as HttpServer } from 'node:http';
import Fastify, { type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import { installErrorReplies, type ErrorReplyOptions } from './errorReplies.js';
import { sendSecurityHeaders } from './securityHeaders.js';

export interface WebServerOptions {
  logger: boolean;
  /** Largest request body (plugins such as uploads may set their own). */
  bodyLimit: number;
  /** 'array' lets form posts send numbers as strings; JSON-only servers keep types strict. */
  coerceTypes: false | 'array';
  /** Close open connections (event streams) on close instead of waiting for them. */
  forceCloseConnections?: boolean;
  /**
   * Requests per minute, counted per session cookie when `cookie` names one and the request has
   * it, else per client address. Without `cookie` only the address counts, so a client cannot
   * escape the limit by sending a fresh cookie value each time.
   */
  rateLimit: { perMinute: number; cookie?: string };
  /**
   * Which proxies to believe about the client address (X-Forwarded-For), as Fastify's
   * `trustProxy`: addresses/CIDRs, comma-separated. Default: none.
   */
  trustProxy?: string;
  /** Sent on every reply (see securityHeaders.ts). */
  headers: Readonly<Record<string, string>>;
  errors: ErrorReplyOptions;
}

/**
 * The Fastify instance both web servers start from, before their own routes: no proxy trust
 * unless asked, schemas that reject unknown fields, cookies, a rate limit, security headers on
 * every reply, and error replies that never leak internals.
 */
export async function createWebServer(o: WebServerOptions): Promise<FastifyInstance> {
  // Typed up front: Fastify's overloads cannot pick the HTTP/1 one for a conditional trustProxy.
  const options: FastifyHttpOptions<HttpServer> = {
    logger: o.logger,
    bodyLimit: o.bodyLimit,
    trustProxy: o.trustProxy ?? false,
    ...(o.forceCloseConnections ? { forceCloseConnections: true } : {}),
    // Reject unknown fields instead of silently dropping them.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: o.coerceTypes, allErrors: false } },
  };
  const app = Fastify(options);
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: true,
    max: o.rateLimit.perMinute,
    timeWindow: '1 minute',
    keyGenerator: (req) => {
      // A session cookie of sane length keys its own budget; anything else shares the address's.
      const s = o.rateLimit.cookie === undefined ? undefined : req.cookies[o.rateLimit.cookie];
      return typeof s === 'string' && s.length <= 64 ? `s:${s}` : `ip:${req.ip}`;
    },
  });
  sendSecurityHeaders(app, o.headers);
  installErrorReplies(app, o.errors);
  return app;
}
