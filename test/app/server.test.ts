import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/audio/wavCodec.js';
import { Client, fakeApp, toneWav, until } from './fixture.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

async function setup(opts: Parameters<typeof fakeApp>[0] = {}) {
  const t = await fakeApp(opts);
  cleanup.push(() => t.close());
  const c = new Client(t.server.app);
  await c.open();
  return { ...t, c, app: t.server.app };
}

describe('musicgen app: page and session', () => {
  it('serves the form with AudioCraft defaults, a strict CSP and an httpOnly SameSite cookie', async () => {
    const { app } = await setup();
    const res = await app.inject({ url: '/', headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(String(res.headers['set-cookie'])).toMatch(/HttpOnly/);
    expect(String(res.headers['set-cookie'])).toMatch(/SameSite=Strict/);
    for (const [id, v] of [['topK', '250'], ['topP', '0'], ['temperature', '1'], ['cfgCoef', '3']]) {
      expect(res.body).toContain(`id="${id}" name="${id}" type="text" inputmode="decimal" value="${v}"`);
    }
    expect(res.body).toMatch(/type="range" min="1" max="120" step="1" value="10"/);
    expect(res.body).toContain('<option value="melody" data-melody="1"');
    const js = await app.inject({ url: '/static/app.js' });
    expect(js.headers['content-type']).toMatch(/javascript/);
    // An ICO holding one 32x32 PNG (the browser test decodes it).
    const icon = await app.inject({ url: '/favicon.ico' });
    expect(icon.statusCode).toBe(200);
    expect([...icon.rawPayload.subarray(0, 8)]).toEqual([0, 0, 1, 0, 1, 0, 32, 32]);
    expect(icon.rawPayload.subarray(22, 26).toString('latin1')).toBe('\x89PNG');
    expect(icon.rawPayload.readUInt32LE(14)).toBe(icon.rawPayload.length - 22);
    expect(res.body).toContain('<link rel="icon" href="/favicon.ico"');
  });

  it('refuses a foreign Host (DNS rebinding), a missing CSRF token and another session\'s job', async () => {
    const { app, c } = await setup();
    expect((await app.inject({ url: '/', headers: { host: 'evil.example:7860' } })).statusCode).toBe(403);
    expect((await c.request({ url: '/api/generate', json: {}, csrf: false })).statusCode).toBe(400); // schema first
    const noCsrf = await c.request({ url: '/api/jobs/AAAAAAAAAAAAAAAAAAAAAA/interrupt', json: {}, csrf: false });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error).toMatch(/reload the page/);
    const ok = await c.generate();
    expect(ok.statusCode).toBe(202);
    const other = new Client(app);
    await other.open();
    expect((await other.request({ url: `/api/jobs/${ok.json().job}` })).statusCode).toBe(404);
    expect((await other.request({ url: `/api/jobs/${ok.json().job}/interrupt`, json: {} })).statusCode).toBe(404);
  });
});

describe('musicgen app: validation like the library', () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ topK: -1 }, 'topK', /^Top-k must be an integer >= 0/],
    [{ topK: '2.5' }, 'topK', /^Top-k must be an integer/],
    [{ topP: 1.5 }, 'topP', /^Top-p must be a number in \[0, 1\]/],
    [{ temperature: '-0.5' }, 'temperature', /^Temperature must be a finite number >= 0/],
    [{ cfgCoef: -3 }, 'cfgCoef', /^Classifier-free guidance must be a finite number >= 0/],
    [{ seed: 'abc' }, 'seed', /^Seed must be a number/],
    [{ seed: 1.5 }, 'seed', /^Seed must be a safe integer/],
    [{ duration: 0 }, 'duration', /^Duration must be from 1 to 120 seconds/],
    [{ duration: 121 }, 'duration', /^Duration must be from 1 to 120 seconds/],
    [{ temperature: '' }, 'temperature', /^Temperature is required/],
    [{ model: 'nope' }, 'model', /no model "nope"/],
  ];
  it.each(cases)('%j is refused on its field', async (fields, field, message) => {
    const { c } = await setup();
    const res = await c.generate(fields);
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe(field);
    expect(res.json().error).toMatch(message);
    expect(res.body).not.toMatch(/at .*\.ts:\d+/); // no stack traces
  });

  it('refuses unknown fields and accepts numbers sent as strings', async () => {
    const { c } = await setup();
    expect((await c.generate({ extra: 1 })).statusCode).toBe(400);
    const ok = await c.generate({ topK: '50', topP: '0.9', temperature: '0.7', cfgCoef: '5', seed: '42', duration: '2' });
    expect(ok.statusCode).toBe(202);
    expect(ok.json().params).toEqual({ duration: 2, topK: 50, topP: 0.9, temperature: 0.7, cfgCoef: 5, extendStride: 18, seed: 42 });
  });
});

describe('musicgen app: queue, progress, interrupt', () => {
  it('runs one job per model, queues the rest up to the limit and says when the queue is full', async () => {
    const { c, backends } = await setup({ queueLimit: 1 });
    const first = await c.generate();
    expect(first.json().event).toEqual({ type: 'started' });
    const a = first.json().job as string;
    const b = await c.generate();
    expect(b.json().event).toMatchObject({ type: 'queued', position: 1, waiting: 1, limit: 1 });
    const full = await c.generate();
    expect(full.statusCode).toBe(503);
    expect(full.json().error).toMatch(/queue for tiny is full \(1 waiting/);
    // Another model has its own lane.
    expect((await c.generate({ model: 'melody' })).statusCode).toBe(202);
    const fake = backends.get('default')!;
    expect(fake.runs).toHaveLength(1);
    // Interrupting the queued job frees its slot without running it.
    expect((await c.request({ url: `/api/jobs/${b.json().job}/interrupt`, json: {} })).json().status).toBe('interrupted');
    expect((await c.generate()).statusCode).toBe(202);
    // Progress reaches the job's state; interrupting the running job aborts its signal.
    fake.runs[0].onProgress({ kind: 'progress', done: 10, total: 60 });
    expect((await c.request({ url: `/api/jobs/${a}` })).json().event).toMatchObject({ type: 'progress', done: 10, total: 60 });
    await c.request({ url: `/api/jobs/${a}/interrupt`, json: {} });
    expect(fake.runs[0].signal.aborted).toBe(true);
    await until(() => fake.runs.length === 2); // the next queued job starts
    expect((await c.request({ url: `/api/jobs/${a}` })).json()).toMatchObject({ status: 'interrupted', event: { type: 'interrupted' } });
  });

  it('keeps one model loaded: starting another unloads the idle one, never a running one', async () => {
    const { c, backends } = await setup();
    await c.generate();
    const tiny = backends.get('default')!;
    await c.generate({ model: 'melody' });
    const melody = backends.get('melody')!;
    expect(tiny.closed).toBe(false); // running: kept
    tiny.complete(0);
    await new Promise((r) => setTimeout(r, 20));
    melody.complete(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(tiny.closed).toBe(false);
    // Both idle now; a new job on tiny unloads the melody model.
    await c.generate();
    expect(melody.closed).toBe(true);
    expect(tiny.runs).toHaveLength(2);
  });

  it('streams the final state as server-sent events', async () => {
    const { c, backends } = await setup();
    const id = (await c.generate()).json().job as string;
    backends.get('default')!.complete(0);
    await new Promise((r) => setTimeout(r, 20));
    const res = await c.request({ url: `/api/jobs/${id}/events` });
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    expect(res.body).toMatch(/^event: done\ndata: \{"type":"done","result":\{"samples":\[\{"url":"\/files\//);
  });
});

describe('musicgen app: files and expiry', () => {
  it('serves a finished job\'s files to its session and deletes them after an hour (timer, injected clock)', async () => {
    const { c, backends, clock, workDir, app } = await setup({ sweepIntervalMs: 20 });
    const id = (await c.generate({ duration: 2 })).json().job as string;
    backends.get('default')!.complete(0);
    let status = (await c.request({ url: `/api/jobs/${id}` })).json();
    for (let i = 0; i < 100 && status.status !== 'done'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      status = (await c.request({ url: `/api/jobs/${id}` })).json();
    }
    expect(status.status).toBe('done');
    const url = status.event.result.samples[0].url as string;
    const wav = await c.request({ url });
    expect(wav.statusCode).toBe(200);
    expect(wav.headers['content-type']).toBe('audio/wav');
    expect(decodeWav(wav.rawPayload, 'x').channels[0].length).toBe(64000);
    const part = await c.request({ url, headers: { range: 'bytes=0-3' } });
    expect(part.statusCode).toBe(206);
    expect(part.body).toBe('RIFF');
    expect((await c.request({ url: `/files/${id}/..%2F..%2Fetc%2Fpasswd` })).statusCode).toBe(400);
    expect((await c.request({ url: `/files/${id}/sample-3.wav` })).statusCode).toBe(404);
    const other = new Client(app);
    await other.open();
    expect((await other.request({ url })).statusCode).toBe(404);

    clock.ms += 59 * 60 * 1000;
    await new Promise((r) => setTimeout(r, 60));
    expect((await c.request({ url })).statusCode).toBe(200);
    clock.ms += 60 * 1000 + 1;
    await until(() => !existsSync(join(workDir, 'jobs', id)));
    expect((await c.request({ url })).statusCode).toBe(404);
    expect((await c.request({ url: `/api/jobs/${id}` })).json().error).toMatch(/expired after an hour/);
  });
});

describe('musicgen app: uploads', () => {
  it('decodes a WAV upload, refuses oversized and non-audio files with a clear message', async () => {
    const { c } = await setup({ maxUploadBytes: 100_000 });
    const ok = await c.request({ url: '/api/upload?kind=melody', body: toneWav(1, { sampleRate: 16000, channels: 2 }) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ kind: 'melody', durationS: 1, sampleRate: 16000, channels: 2, truncated: false });
    const big = await c.request({ url: '/api/upload?kind=melody', body: toneWav(4) });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toEqual({ error: 'the file is larger than the 0.1 MB upload limit', field: 'melody' });
    const text = await c.request({ url: '/api/upload?kind=continuation', body: new TextEncoder().encode('not audio at all, just text') });
    expect(text.statusCode).toBe(415);
    expect(text.json().field).toBe('continuation');
    expect(text.json().error).toMatch(/^this file is not audio the app can read \(WAV, MP3, FLAC or Ogg Vorbis\)/);
    expect((await c.request({ url: '/api/upload?kind=melody', body: toneWav(1), csrf: false })).statusCode).toBe(403);
  });

  it('checks uploads against the model: melody needs a melody model, a continuation must be shorter than the duration', async () => {
    const { c, backends, app } = await setup();
    const melody = (await c.request({ url: '/api/upload?kind=melody', body: toneWav(1) })).json().id as string;
    const bad = await c.generate({ melody });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'melody', error: expect.stringMatching(/not a melody model/) });
    expect((await c.generate({ model: 'melody', melody })).statusCode).toBe(202);
    expect(backends.get('melody')!.runs[0].job.melody?.channels[0].length).toBe(32000);
    const cont = (await c.request({ url: '/api/upload?kind=continuation', body: toneWav(2) })).json().id as string;
    const short = await c.generate({ continuation: cont, duration: 2 });
    expect(short.json()).toMatchObject({ field: 'continuation', error: expect.stringMatching(/prompt is 2.0 s/) });
    // An upload is bound to its kind and its session.
    expect((await c.generate({ continuation: melody, duration: 3 })).json().field).toBe('continuation');
    const other = new Client(app);
    await other.open();
    const foreign = await other.generate({ continuation: cont, duration: 5 });
    expect(foreign.json()).toMatchObject({ field: 'continuation', error: expect.stringMatching(/upload is gone/) });
  });
});
