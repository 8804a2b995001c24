import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createWebServer } from '../web/webServer.js';
import type { BackendFactory } from './backend.js';
import { AppAuthError, AppInputError, AppUploadError } from './errors.js';
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
  /** A job no page follows is interrupted after this long. Default 15 s. */
  orphanGraceMs?: number;
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
    orphanGraceMs: o.orphanGraceMs,
    now,
    log,
  });
  const uploads = new UploadStore({ now, ttlMs: o.resultTtlMs });
  // Expired uploads are dropped on the same schedule as job files (their memory, not just access).
  const uploadSweep = setInterval(() => uploads.sweep(), o.sweepIntervalMs ?? 60_000);
  uploadSweep.unref();

  const app = await createWebServer({
    logger: o.logger ?? false,
    bodyLimit: JSON_BODY_LIMIT,
    coerceTypes: false,
    // Closing must not wait for open event streams (their jobs end with the server anyway).
    forceCloseConnections: true,
    rateLimit: { perMinute: o.rateLimitPerMinute ?? 1200, cookie: SESSION_COOKIE },
    headers: SECURITY_HEADERS,
    errors: {
      errorPage,
      validationField: true,
      explain: (err, req) => {
        if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
          const kind = (req.query as { kind?: unknown } | undefined)?.kind;
          const isUpload = req.url.startsWith('/api/upload');
          const message = isUpload ? `the file is larger than the ${megabytes(maxUploadBytes)} MB upload limit` : 'the request is too large';
          return { status: 413, message, field: isUpload && (kind === 'melody' || kind === 'continuation') ? kind : null };
        }
        if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
          return { status: 415, message: 'send the audio file as application/octet-stream (uploads) or JSON (forms)' };
        }
        if (err instanceof AppInputError || err instanceof AppUploadError) return { status: err.statusCode, message: err.message, field: err.field };
        return null;
      },
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
