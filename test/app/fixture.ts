import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { GenerationBackend, ProgressEvent } from '../../src/app/backend.js';
import { JobAbortedError } from '../../src/app/errors.js';
import type { ModelEntry } from '../../src/app/modelCatalog.js';
import { buildAppServer, type AppServer, type AppServerOptions } from '../../src/app/server.js';
import type { WorkerJob, WorkerResult } from '../../src/app/workerProtocol.js';
import { encodeWav } from '../../src/audio/wavCodec.js';

/** A sine tone as WAV bytes. */
export function toneWav(seconds: number, opts: { sampleRate?: number; freq?: number; channels?: number } = {}): Uint8Array {
  const { sampleRate = 32000, freq = 440, channels = 1 } = opts;
  const n = Math.round(seconds * sampleRate);
  const ch = Array.from({ length: channels }, () => {
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = 0.3 * Math.sin((2 * Math.PI * freq * i) / sampleRate);
    return x;
  });
  return encodeWav(ch, sampleRate, 'pcm16');
}

interface FakeRun {
  job: WorkerJob;
  onProgress: (e: ProgressEvent) => void;
  signal: AbortSignal;
  resolve(r: WorkerResult): void;
}

/** A backend that runs nothing: the test drives progress and completion by hand. */
export class FakeBackend implements GenerationBackend {
  readonly runs: FakeRun[] = [];
  closed = false;
  run(job: WorkerJob, onProgress: (e: ProgressEvent) => void, signal: AbortSignal): Promise<WorkerResult> {
    return new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new JobAbortedError('interrupted')), { once: true });
      this.runs.push({ job, onProgress, signal, resolve });
    });
  }
  /** Writes a WAV and the pictures into the job folder and resolves the run. */
  complete(i: number): void {
    const { job, resolve } = this.runs[i];
    writeFileSync(join(job.outDir, 'sample-0.wav'), toneWav(job.params.duration));
    for (const f of ['waveform-0.png', 'spectrogram-0.png']) writeFileSync(join(job.outDir, f), new Uint8Array([0x89, 0x50]));
    writeFileSync(join(job.outDir, 'params.json'), JSON.stringify(job.params));
    resolve({
      samples: [{ wav: 'sample-0.wav', waveform: 'waveform-0.png', spectrogram: 'spectrogram-0.png', durationS: job.params.duration, chromaMatchRate: null }],
      melodyChroma: null,
      params: { ...job.params },
      paramsFile: 'params.json',
      sampleRate: 32000,
      timings: { loadMs: 0, generateMs: 0, postprocessMs: 0 },
    });
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

export function fakeModel(over: Partial<ModelEntry> = {}): ModelEntry {
  return { id: 'default', label: 'tiny', dir: '/nonexistent', melody: false, continuation: true, frameRate: 50, sampleRate: 32000, ...over };
}

export interface TestApp {
  server: AppServer;
  backends: Map<string, FakeBackend>;
  clock: { ms: number };
  workDir: string;
}

/** An app on fake backends and a fake clock, in a fresh temporary folder. */
export async function fakeApp(opts: Partial<AppServerOptions> = {}): Promise<TestApp & { close(): Promise<void> }> {
  const backends = new Map<string, FakeBackend>();
  const clock = { ms: Date.UTC(2026, 0, 1) };
  const workDir = mkdtempSync(join(tmpdir(), 'musicgen-app-test-'));
  const server = await buildAppServer({
    models: [fakeModel(), fakeModel({ id: 'melody', label: 'tiny melody', melody: true })],
    workDir,
    now: () => clock.ms,
    backendFactory: (m) => {
      const b = new FakeBackend();
      backends.set(m.id, b);
      return b;
    },
    log: () => undefined,
    ...opts,
  });
  return {
    server,
    backends,
    clock,
    workDir,
    async close() {
      await server.close();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** A browser-like client: keeps the session cookie and the page's CSRF token. */
export class Client {
  cookie = '';
  csrf = '';
  constructor(private readonly app: FastifyInstance) {}

  async open(): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
    const set = res.headers['set-cookie'];
    const line = Array.isArray(set) ? set[0] : set;
    if (line) this.cookie = line.split(';')[0];
    this.csrf = /name="csrf-token" content="([^"]+)"/.exec(res.body)?.[1] ?? '';
    return res;
  }

  request(o: { method?: 'GET' | 'POST'; url: string; json?: unknown; body?: Uint8Array; headers?: Record<string, string>; csrf?: boolean }): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { cookie: this.cookie, ...(o.headers ?? {}) };
    if (o.csrf !== false) headers['x-csrf-token'] = this.csrf;
    let payload: string | Buffer | undefined;
    if (o.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(o.json);
    } else if (o.body) {
      headers['content-type'] ??= 'application/octet-stream';
      payload = Buffer.from(o.body);
    }
    return this.app.inject({ method: o.method ?? (payload === undefined ? 'GET' : 'POST'), url: o.url, headers, payload });
  }

  generate(fields: Record<string, unknown> = {}): Promise<LightMyRequestResponse> {
    return this.request({
      url: '/api/generate',
      json: { model: 'default', description: 'drums', duration: 1, topK: 250, topP: 0, temperature: 1, cfgCoef: 3, seed: '', ...fields },
    });
  }
}

/** Waits (bounded) until `check` holds. */
export async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 10));
  }
}
