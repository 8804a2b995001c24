import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanModels } from '../../src/app/modelCatalog.js';
import { buildAppServer, type AppServer } from '../../src/app/server.js';
import { loudness } from '../../src/audio/loudness.js';
import { decodeWav } from '../../src/audio/wavCodec.js';
import { synthesizedPreset } from '../helpers/models.js';
import { Client, toneWav } from './fixture.js';

/** Parses a finished text/event-stream body into events. */
function events(body: string): { type: string; data: Record<string, unknown> }[] {
  return body
    .split('\n\n')
    .filter((b) => b.startsWith('event: '))
    .map((b) => {
      const [ev, data] = b.split('\n');
      return { type: ev.slice(7), data: JSON.parse(data.slice(6)) as Record<string, unknown> };
    });
}

const PNG = [0x89, 0x50, 0x4e, 0x47];

describe('musicgen app on real worker threads (tiny models)', () => {
  let server: AppServer;
  let c: Client;
  const logs: string[] = [];
  beforeAll(async () => {
    const models = scanModels(null, synthesizedPreset('tiny'));
    const melody = synthesizedPreset('melody-tiny');
    models.push(...scanModels(melody, null));
    server = await buildAppServer({ models, threads: 1, log: (l) => logs.push(l) });
    c = new Client(server.app);
    await c.open();
  });
  afterAll(async () => {
    await server?.close();
    // Nothing crashed or failed unexpectedly along the way.
    expect(logs).toEqual([]);
  });

  it('generates 1 s in a worker: progress events, a normalised WAV of the requested length, pictures and params', async () => {
    const sub = await c.generate({ duration: 1, seed: 7 });
    expect(sub.statusCode).toBe(202);
    const id = sub.json().job as string;
    const stream = events((await c.request({ url: `/api/jobs/${id}/events` })).body);
    const progress = stream.filter((e) => e.type === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.data).toMatchObject({ done: 53, total: 53 });
    // The decode stage comes after the last decoder step, as its own event, right before done.
    expect(stream.slice(-3).map((e) => e.type)).toEqual(['progress', 'decoding', 'done']);
    expect(stream.at(-2)!.data).toEqual({ type: 'decoding', total: 53 });
    const done = stream.at(-1)!;
    expect(done.type).toBe('done');
    const result = done.data.result as { samples: { url: string; waveformUrl: string; spectrogramUrl: string; durationS: number }[]; params: Record<string, unknown> };
    expect(result.params).toMatchObject({ seed: 7, duration: 1, topK: 250, topP: 0, temperature: 1, cfgCoef: 3, frames: 50, description: 'drums' });
    const wav = decodeWav((await c.request({ url: result.samples[0].url })).rawPayload, 'download');
    expect(wav.sampleRate).toBe(32000);
    expect(wav.channels[0].length / wav.sampleRate).toBe(1);
    // The random tiny model's raw output peaks far above full scale (torchaudio-style loudness
    // clamps it, so -16 LUFS is not reached here; resultFiles.test.ts checks the level on a
    // normal signal); the file itself stays within full scale.
    expect(Math.max(...wav.channels[0].map(Math.abs))).toBeLessThanOrEqual(1);
    expect(Number.isFinite(loudness(wav.channels, wav.sampleRate))).toBe(true);
    for (const u of [result.samples[0].waveformUrl, result.samples[0].spectrogramUrl]) {
      expect([...(await c.request({ url: u })).rawPayload.subarray(0, 4)]).toEqual(PNG);
    }
  });

  it('melody upload drives the melody model: chromagram picture and match rate', async () => {
    const up = await c.request({ url: '/api/upload?kind=melody', body: toneWav(2, { sampleRate: 44100, freq: 261.63 }) });
    expect(up.statusCode).toBe(200);
    const melodyModel = (await c.request({ url: '/api/models' })).json().models.find((m: { melody: boolean }) => m.melody).id;
    const id = (await c.generate({ model: melodyModel, melody: up.json().id, duration: 1, seed: 3 })).json().job as string;
    const done = events((await c.request({ url: `/api/jobs/${id}/events` })).body).at(-1)!;
    expect(done.type).toBe('done');
    const r = done.data.result as { melodyChromaUrl: string; samples: { chromaMatchRate: number }[]; params: { melody: { seconds: number } } };
    expect(r.samples[0].chromaMatchRate).toBeGreaterThanOrEqual(0);
    expect(r.samples[0].chromaMatchRate).toBeLessThanOrEqual(1);
    expect(r.params.melody.seconds).toBe(2);
    expect([...(await c.request({ url: r.melodyChromaUrl })).rawPayload.subarray(0, 4)]).toEqual(PNG);
  });

  it('continues an uploaded prompt, two samples at once', async () => {
    const up = await c.request({ url: '/api/upload?kind=continuation', body: toneWav(1, { sampleRate: 48000, channels: 2 }) });
    const id = (await c.generate({ continuation: up.json().id, duration: 2, samples: 2, seed: 11 })).json().job as string;
    const done = events((await c.request({ url: `/api/jobs/${id}/events` })).body).at(-1)!;
    expect(done.type).toBe('done');
    const r = done.data.result as { samples: { url: string; downloadName: string }[]; params: Record<string, unknown> };
    expect(r.samples.map((s) => s.downloadName)).toEqual(['musicgen-default-seed11-0.wav', 'musicgen-default-seed11-1.wav']);
    expect(r.params).toMatchObject({ samples: 2, continuation: { seconds: 1, sampleRate: 48000 }, frames: 100 });
    for (const s of r.samples) expect(decodeWav((await c.request({ url: s.url })).rawPayload, 'x').channels[0].length).toBe(64000);
  });

  it('a model that cannot load fails the job with the library\'s message, and the next job tries again', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'musicgen-app-broken-'));
    try {
      copyFileSync(join(synthesizedPreset('tiny'), 'config.json'), join(broken, 'config.json'));
      const models = scanModels(broken, null);
      const s = await buildAppServer({ models, threads: 1, log: (l) => logs.push(l) });
      try {
        const b = new Client(s.app);
        await b.open();
        for (let i = 0; i < 2; i++) {
          const id = (await b.generate({ model: models[0].id })).json().job as string;
          const end = events((await b.request({ url: `/api/jobs/${id}/events` })).body).at(-1)!;
          expect(end).toMatchObject({ type: 'failed', data: { message: expect.stringMatching(/missing onnx\/text_encoder\.onnx/) } });
          expect(JSON.stringify(end)).not.toMatch(/\n\s+at /); // no stack trace
        }
      } finally {
        await s.close();
      }
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('interrupts a 120 s run within a step and keeps serving meanwhile', async () => {
    const id = (await c.generate({ duration: 120 })).json().job as string;
    let status = '';
    let done = 0;
    for (let i = 0; i < 500 && done < 100; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const s = (await c.request({ url: `/api/jobs/${id}` })).json();
      status = s.status;
      done = s.event.type === 'progress' ? (s.event.done as number) : 0;
    }
    expect(status).toBe('running');
    // The page answers while the worker generates.
    const t0 = performance.now();
    expect((await c.request({ url: '/api/models' })).statusCode).toBe(200);
    expect(performance.now() - t0).toBeLessThan(500);
    const t1 = performance.now();
    await c.request({ url: `/api/jobs/${id}/interrupt`, json: {} });
    const end = events((await c.request({ url: `/api/jobs/${id}/events` })).body).at(-1)!;
    const latency = performance.now() - t1;
    expect(end.type).toBe('interrupted');
    expect(latency).toBeLessThan(1000);
    process.stdout.write(`interrupt latency ${latency.toFixed(0)} ms after ${done} steps\n`);
  });
});
