import { availableParallelism } from 'node:os';
import { isTcpPort, listen } from '../web/listen.js';
import { AppInputError } from './errors.js';
import { scanModels } from './modelCatalog.js';
import { buildAppServer, type AppServer } from './server.js';

export interface StartAppOptions {
  /** Folder whose sub-folders with a config.json are offered (or null). */
  modelsDir: string | null;
  /** The embedded default model's folder (or null to offer only --models). */
  defaultModelDir: string | null;
  port: number;
  host: string;
  dtype?: string;
  threads?: number;
  queueLimit?: number;
  maxLoadedModels?: number;
  maxUploadBytes?: number;
  /** A job no page follows is interrupted after this long. Default 15 s. */
  orphanGraceMs?: number;
  log?: (line: string) => void;
}

export interface RunningApp extends AppServer {
  url: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Scans the models, starts listening and prints the URL. */
export async function startApp(o: StartAppOptions): Promise<RunningApp> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  if (!isTcpPort(o.port)) throw new AppInputError('port', `--port must be 0-65535 (got ${o.port})`);
  const models = scanModels(o.modelsDir, o.defaultModelDir, log);
  if (models.length === 0) {
    throw new AppInputError('models', `no model folder (with a config.json) found under ${o.modelsDir ?? '(none)'}; pass --models DIR`);
  }
  const server = await buildAppServer({
    models,
    dtype: o.dtype,
    threads: o.threads ?? availableParallelism(),
    queueLimit: o.queueLimit,
    maxLoadedModels: o.maxLoadedModels,
    maxUploadBytes: o.maxUploadBytes,
    orphanGraceMs: o.orphanGraceMs,
    // Bound to a loopback address, only loopback Host names are expected; bound wider, any.
    loopbackHostsOnly: LOOPBACK.has(o.host),
    log,
  });
  let url: string;
  try {
    url = await listen(server.app, o.host, o.port);
  } catch (err) {
    await server.close();
    throw err;
  }
  log(`MusicGen app listening on ${url}`);
  if (!LOOPBACK.has(o.host)) log(`warning: --host ${o.host} exposes the app to the network; anyone who reaches it can generate and upload`);
  log(`models: ${models.map((m) => `${m.id} (${m.dir})`).join(', ')}`);
  log(`generated files go to ${server.workDir} (kept an hour, deleted on exit)`);
  return { ...server, url };
}
