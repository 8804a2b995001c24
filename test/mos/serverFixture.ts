import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildMosServer, type MosServerOptions } from '../../src/mos/server.js';
import { MosStore } from '../../src/mos/store.js';
import { writeTone } from './audioFixture.js';
import { tempDir } from './storeFixture.js';

export const ADMIN_SECRET = 'test-admin-secret-0123456789';

/** A store whose clips all point at one real 1 s, 48 kHz WAV. */
export function storeWithAudio(items = 3, systems = ['A', 'B']): MosStore {
  const dir = tempDir();
  const wav = join(dir, 'clip.wav');
  writeTone(wav, { sampleRate: 48000 });
  const store = MosStore.open(join(dir, 'mos.db'));
  store.transaction(() => {
    const setId = store.createSet('set');
    const sys = systems.map((s) => store.addSystem(setId, s));
    for (let i = 0; i < items; i++) {
      const itemId = store.addItem(setId, `item${i}`, `prompt ${i}`);
      const clip = (systemId: number | null, kind: Parameters<MosStore['addClip']>[0]['kind']) =>
        store.addClip({ setId, itemId, systemId, kind, sourcePath: wav, playbackPath: wav, durationS: 1 });
      sys.forEach((s) => clip(s, 'system'));
      for (const k of ['trap', 'reference', 'hidden_reference', 'anchor35', 'anchor70'] as const) clip(null, k);
    }
  });
  return store;
}

/** A server on a fake clock (tests advance `clock.ms` instead of waiting). */
export async function testServer(store: MosStore, extra: Partial<MosServerOptions> = {}) {
  const clock = { ms: 1_000_000 };
  const app = await buildMosServer({
    store,
    adminSecret: ADMIN_SECRET,
    publicUrl: 'http://127.0.0.1:8895',
    now: () => clock.ms,
    ...extra,
  });
  return { app, clock };
}

/** A browser-like client: keeps cookies between requests. */
export class Client {
  readonly cookies = new Map<string, string>();
  constructor(private readonly app: FastifyInstance) {}

  async request(opts: {
    method?: 'GET' | 'POST';
    url: string;
    form?: Record<string, string | number>;
    json?: unknown;
    headers?: Record<string, string>;
    body?: string;
    /** The client's address as the server sees the socket (default 127.0.0.1). */
    remoteAddress?: string;
  }): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let payload: string | undefined = opts.body;
    if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(Object.entries(opts.form).map(([k, v]): [string, string] => [k, String(v)])).toString();
    } else if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(opts.json);
    }
    const res = await this.app.inject({
      method: opts.method ?? (payload !== undefined ? 'POST' : 'GET'),
      url: opts.url,
      headers,
      payload,
      ...(opts.remoteAddress ? { remoteAddress: opts.remoteAddress } : {}),
    });
    for (const c of res.cookies) this.cookies.set(c.name, c.value);
    return res;
  }
}

/** Values scraped from a trial page. */
export function parseTrial(html: string): { csrf: string; assignment: number; clips: string[]; rated: string[] } {
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const assignment = Number(/name="assignment" value="(\d+)"/.exec(html)?.[1]);
  const clips = [...html.matchAll(/data-clip="([^"]+)" data-rated="(\d)"/g)];
  return { csrf, assignment, clips: clips.map((m) => m[1]), rated: clips.filter((m) => m[2] === '1').map((m) => m[1]) };
}
