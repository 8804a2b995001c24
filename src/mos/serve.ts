import type { FastifyInstance } from 'fastify';
import { isTcpPort, listen } from '../web/listen.js';
import { MosInputError } from './errors.js';
import { randomToken } from './random.js';
import { buildMosServer } from './server.js';
import { MosStore } from './store.js';

export const ADMIN_SECRET_ENV = 'MUSICGEN_MOS_ADMIN_SECRET';

export interface ServeOptions {
  db: string;
  port: number;
  host: string;
  /** Base of links shown to the admin (default http://host:port). */
  publicUrl?: string;
  minListenRatio?: number;
  secureCookies?: boolean;
  rateLimitPerMinute?: number;
  trustProxy?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface RunningMosServer {
  app: FastifyInstance;
  store: MosStore;
  url: string;
  close(): Promise<void>;
}

/**
 * The admin secret: MUSICGEN_MOS_ADMIN_SECRET if set (at least 16 characters), otherwise a fresh
 * random one that the caller prints once. It lives only in memory.
 */
export function resolveAdminSecret(env: NodeJS.ProcessEnv): { secret: string; generated: boolean } {
  const fromEnv = env[ADMIN_SECRET_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < 16) throw new MosInputError(`${ADMIN_SECRET_ENV} must be at least 16 characters long`);
    return { secret: fromEnv, generated: false };
  }
  return { secret: randomToken(), generated: true };
}

/** Opens the database and starts listening; prints the admin URL (and a generated secret once). */
export async function startMosServer(o: ServeOptions): Promise<RunningMosServer> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  if (!isTcpPort(o.port)) throw new MosInputError(`--port must be 0-65535 (got ${o.port})`);
  const { secret, generated } = resolveAdminSecret(o.env ?? process.env);
  const store = MosStore.open(o.db);
  let app: FastifyInstance | undefined;
  try {
    // publicUrl may need the bound port: build with a placeholder, then fix it after listen.
    const ctxUrl = { value: o.publicUrl ?? '' };
    app = await buildMosServer({
      store,
      adminSecret: secret,
      get publicUrl() {
        return ctxUrl.value;
      },
      minListenRatio: o.minListenRatio,
      secureCookies: o.secureCookies,
      rateLimitPerMinute: o.rateLimitPerMinute,
      trustProxy: o.trustProxy,
    });
    const url = await listen(app, o.host, o.port);
    if (!o.publicUrl) ctxUrl.value = url;
    log(`MOS server listening on ${url}`);
    log(`admin page: ${url}/admin`);
    if (generated) log(`admin secret (shown once; set ${ADMIN_SECRET_ENV} to choose it): ${secret}`);
    for (const t of store.listTests()) if (t.openCode) log(`open link for test "${t.name}": ${ctxUrl.value}/open/${t.openCode}`);
    const running = app;
    return {
      app: running,
      store,
      url,
      async close() {
        await running.close();
        store.close();
      },
    };
  } catch (err) {
    await app?.close();
    store.close();
    throw err;
  }
}
