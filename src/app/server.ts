import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { BackendFactory } from './backend.js';
import { AppAuthError, AppError, AppInputError, AppUploadError } from './errors.js';
import { JobManager } from './jobs.js';
import type { ModelEntry } from './modelCatalog.js';
import { errorPage, megabytes } from './pages/html.js';
import { apiRoutes } from './routes/apiRoutes.js';
import { SECURITY_HEADERS, type AppContext } from './routes/context.js';
import { eventsRoute } from './routes/eventsRoute.js';
import { fileRoute } from './routes/fileRoute.js';
import { pageRoutes } from './routes/pageRoutes.js';
import { SESSION_COOKIE, Sessions } from './sessions.js';
import { UploadStore } from './uploads.js';
import { WorkerBackend } from './workerBackend.js';

export interface AppServerOptions {
  models: readonly ModelEntry[];
  /** Where job files go; default a fresh folder in the OS temp folder, deleted on close. */
  workDir?: string;
  /** Largest accepted upload in bytes. Default 20 MiB. */
  maxUploadBytes?: number;
  /** Jobs waiting per model besides the running one. Default 4. */
  queueLimit?: number;
  /** Models kept loaded at most (idle ones are unloaded when another starts). Default 1. */
  maxLoadedModels?: number;
  /** Lifetime of generated files. Default one hour. */
  resultTtlMs?: number;
  /** Expiry sweep period. Default one minute. */
  sweepIntervalMs?: number;
  /** Decoder precision and onnxruntime threads of the workers. */
  dtype?: string;
  threads?: number;
  /** Replaces the worker threads (tests). */
  backendFactory?: BackendFactory;
  /** Refuse requests whose Host is not a loopback name (DNS rebinding); default true. */
  loopbackHostsOnly?: boolean;
  rateLimitPerMinute?: number;
  secureCookies?: boolean;
  logger?: boolean;
  log?: (line: string) => void;
  now?: () => number;
}

export interface AppServer {
  app: FastifyInstance;
  jobs: JobManager;
  uploads: UploadStore;
  workDir: string;
  /** Stops the workers, closes the server and deletes the temporary folder. */
  close(): Promise<void>;
}

/** JSON bodies are small forms; uploads have their own, larger limit. */
const JSON_BODY_LIMIT = 16 * 1024;
export const DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function hostName(host: string): string {
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
}

/** Builds the generation web app (not listening yet: `app.listen` or `app.inject`). */
export async function buildAppServer(o: AppServerOptions): Promise<AppServer> {
  const now = o.now ?? Date.now;
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const ownWorkDir = o.workDir === undefined;
  const workDir = o.workDir ?? mkdtempSync(join(tmpdir(), 'musicgen-app-'));
  const maxUploadBytes = o.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const backendFactory: BackendFactory =
    o.backendFactory ?? ((m) => new WorkerBackend({ modelDir: m.dir, dtype: o.dtype ?? 'fp32', threads: o.threads }, log));
  const jobs = new JobManager({
    workDir,
    backendFactory,
    queueLimit: o.queueLimit,
    maxLoadedModels: o.maxLoadedModels,
    ttlMs: o.resultTtlMs,
    sweepIntervalMs: o.sweepIntervalMs,
    now,
    log,
  });
  const uploads = new UploadStore({ now, ttlMs: o.resultTtlMs });
  // Expired uploads are dropped on the same schedule as job files (their memory, not just access).
  const uploadSweep = setInterval(() => uploads.sweep(), o.sweepIntervalMs ?? 60_000);
  uploadSweep.unref();

  const app = Fastify({
    logger: o.logger ?? false,
    bodyLimit: JSON_BODY_LIMIT,
    trustProxy: false,
    // Closing must not wait for open event streams (their jobs end with the server anyway).
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: true,
    max: o.rateLimitPerMinute ?? 1200,
    timeWindow: '1 minute',
    keyGenerator: (req) => {
      const s = req.cookies[SESSION_COOKIE];
      return typeof s === 'string' && s.length <= 64 ? `s:${s}` : `ip:${req.ip}`;
    },
  });

  if (o.loopbackHostsOnly ?? true) {
    // A web page on another site can point its own name at 127.0.0.1 (DNS rebinding); its
    // requests then carry that name as Host. Only loopback names reach the app.
    app.addHook('onRequest', async (req) => {
      if (!LOOPBACK_HOSTS.has(hostName(String(req.headers.host ?? '')).toLowerCase())) {
        throw new AppAuthError('this app answers only on localhost / 127.0.0.1; start it with --host to serve other names');
      }
    });
  }

  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) reply.header('cache-control', 'no-store');
    return payload;
  });

  // Clients get a status and a one-line reason (plus the field it concerns), never a stack trace.
  app.setErrorHandler((err: FastifyError, req, reply) => {
    let status = 500;
    let message = 'internal error';
    let field: string | null = null;
    if (err.validation) {
      status = 400;
      message = `invalid request: ${err.message}`;
      const path = err.validation[0]?.instancePath?.replace(/^\//, '').split('/')[0];
      if (err.validationContext === 'body' && path) field = path;
    } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      status = 413;
      const kind = (req.query as { kind?: unknown } | undefined)?.kind;
      const isUpload = req.url.startsWith('/api/upload');
      message = isUpload ? `the file is larger than the ${megabytes(maxUploadBytes)} MB upload limit` : 'the request is too large';
      if (isUpload && (kind === 'melody' || kind === 'continuation')) field = kind;
    } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      status = 415;
      message = 'send the audio file as application/octet-stream (uploads) or JSON (forms)';
    } else if (err instanceof AppError) {
      status = err.statusCode;
      message = err.message;
      if (err instanceof AppInputError || err instanceof AppUploadError) field = err.field;
    } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode;
      message = err.message;
    }
    if (status >= 500 && !(err instanceof AppError)) req.log.error(err);
    reply.code(status);
    if (String(req.headers.accept ?? '').includes('text/html')) return reply.type('text/html; charset=utf-8').send(errorPage(status, message));
    return reply.send(field ? { error: message, field } : { error: message });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404);
    if (String(req.headers.accept ?? '').includes('text/html')) return reply.type('text/html; charset=utf-8').send(errorPage(404, 'not found'));
    return reply.send({ error: 'not found' });
  });

  const ctx: AppContext = {
    models: o.models,
    jobs,
    uploads,
    sessions: new Sessions(now, o.secureCookies ?? false),
    maxUploadBytes,
  };
  pageRoutes(app, ctx);
  apiRoutes(app, ctx);
  eventsRoute(app, ctx);
  fileRoute(app, ctx);

  let closed = false;
  return {
    app,
    jobs,
    uploads,
    workDir,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(uploadSweep);
      await jobs.close();
      await app.close();
      uploads.clear();
      if (ownWorkDir) rmSync(workDir, { recursive: true, force: true });
    },
  };
}
