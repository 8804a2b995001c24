import { afterEach, describe, expect, it } from 'vitest';
import { Client, fakeApp, until } from './fixture.js';

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

async function statusOf(c: Client, id: string): Promise<{ status: string; event: Record<string, unknown> }> {
  return (await c.request({ url: `/api/jobs/${id}` })).json();
}

describe('musicgen app: the take list', () => {
  it('lists a session\'s finished takes newest first with their settings, to that session only, until removed', async () => {
    const { c, app, backends } = await setup();
    const a = (await c.generate({ description: 'first', seed: 7, duration: 2 })).json().job as string;
    const fake = backends.get('default')!;
    fake.complete(0);
    for (let i = 0; i < 100 && (await statusOf(c, a)).status !== 'done'; i++) await new Promise((r) => setTimeout(r, 5));
    const b = (await c.generate({ description: 'second', seed: 8 })).json().job as string;
    await until(() => fake.runs.length === 2);
    // An interrupted job is no take.
    const stopped = (await c.generate({ model: 'melody' })).json().job as string;
    await c.request({ url: `/api/jobs/${stopped}/interrupt`, json: {} });
    let takes = (await c.request({ url: '/api/takes' })).json().takes;
    expect(takes.map((t: { job: string }) => t.job)).toEqual([a]); // b still runs
    fake.complete(1);
    for (let i = 0; i < 100 && (await statusOf(c, b)).status !== 'done'; i++) await new Promise((r) => setTimeout(r, 5));
    takes = (await c.request({ url: '/api/takes' })).json().takes;
    expect(takes.map((t: { job: string }) => t.job)).toEqual([b, a]);
    expect(takes[1]).toMatchObject({ model: 'default', modelLabel: 'tiny', description: 'first', result: { params: { seed: 7, duration: 2 }, sampleRate: 32000 } });
    const other = new Client(app);
    await other.open();
    expect((await other.request({ url: '/api/takes' })).json().takes).toEqual([]);
    expect((await other.request({ url: `/api/jobs/${a}/remove`, json: {} })).statusCode).toBe(404);
    const wav = takes[1].result.samples[0].url as string;
    expect((await c.request({ url: wav })).statusCode).toBe(200);
    expect((await c.request({ url: `/api/jobs/${a}/remove`, json: {}, csrf: false })).statusCode).toBe(403);
    expect((await c.request({ url: `/api/jobs/${a}/remove`, json: {} })).json()).toEqual({ removed: true });
    expect((await c.request({ url: '/api/takes' })).json().takes.map((t: { job: string }) => t.job)).toEqual([b]);
    expect((await c.request({ url: wav })).statusCode).toBe(404);
  });

  it('a take leaves the list when its files expire (an hour, injected clock)', async () => {
    const { c, backends, clock } = await setup({ sweepIntervalMs: 20 });
    const id = (await c.generate()).json().job as string;
    backends.get('default')!.complete(0);
    for (let i = 0; i < 100 && (await statusOf(c, id)).status !== 'done'; i++) await new Promise((r) => setTimeout(r, 5));
    const [take] = (await c.request({ url: '/api/takes' })).json().takes;
    expect(take.result.expiresAt).toBe(clock.ms + 60 * 60 * 1000);
    clock.ms += 60 * 60 * 1000 - 1;
    await new Promise((r) => setTimeout(r, 60));
    expect((await c.request({ url: '/api/takes' })).json().takes).toHaveLength(1);
    clock.ms += 1;
    for (let i = 0; i < 100 && (await c.request({ url: '/api/takes' })).json().takes.length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await c.request({ url: '/api/takes' })).json().takes).toEqual([]);
  });

  it('refuses to remove a job that is still going', async () => {
    const { c } = await setup();
    const id = (await c.generate()).json().job as string;
    const res = await c.request({ url: `/api/jobs/${id}/remove`, json: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/interrupt it first/);
  });
});

describe('musicgen app: status from the server', () => {
  it('the ETA follows the job\'s recent step rate, not the average since its start', async () => {
    const { c, backends, clock } = await setup();
    const id = (await c.generate()).json().job as string;
    const run = backends.get('default')!.runs[0];
    let done = 0;
    // 50 steps at 10 per second, then 20 at 2.5 per second (another job took the cores).
    for (; done < 50; done++, clock.ms += 100) run.onProgress({ kind: 'progress', done: done + 1, total: 200 });
    const fast = (await statusOf(c, id)).event;
    expect(fast.etaS).toBeCloseTo((150 * 0.1), 0);
    for (; done < 70; done++) {
      clock.ms += 400;
      run.onProgress({ kind: 'progress', done: done + 1, total: 200 });
    }
    const slow = (await statusOf(c, id)).event;
    expect(slow).toMatchObject({ type: 'progress', done: 70, total: 200 });
    // 130 steps left at 0.4 s each; the average since the start would say ~24 s.
    expect(slow.etaS).toBeCloseTo(130 * 0.4, 0);
    // The last step is followed by the decode stage, without an ETA.
    run.onProgress({ kind: 'progress', done: 200, total: 200 });
    run.onProgress({ kind: 'decoding' });
    expect((await statusOf(c, id)).event).toEqual({ type: 'decoding', total: 200 });
  });

  it('a queued job hears its position and a wait estimate from the model\'s measured speed', async () => {
    const { c, backends, clock } = await setup({ queueLimit: 3 });
    const first = (await c.generate({ duration: 2 })).json().job as string;
    const fake = backends.get('default')!;
    const second = (await c.generate({ duration: 4 })).json();
    // Nothing has run on this model yet: the wait is unknown, not a guess.
    expect(second.event).toEqual({ type: 'queued', position: 1, waiting: 1, limit: 3, waitS: null });
    // The first job: 100 steps in 10 s for 2 s of audio, then 1 s of decoding: 5.5 s per audio second.
    for (let d = 1; d <= 100; d++) {
      fake.runs[0].onProgress({ kind: 'progress', done: d, total: 100 });
      clock.ms += 100;
    }
    clock.ms += 1000;
    fake.complete(0);
    for (let i = 0; i < 100 && (await statusOf(c, first)).status !== 'done'; i++) await new Promise((r) => setTimeout(r, 5));
    await until(() => fake.runs.length === 2);
    const third = (await c.generate({ duration: 1 })).json();
    const fourth = (await c.generate({ duration: 1 })).json();
    // Before the second job's first step its whole length counts: 4 s x 5.5.
    expect(third.event).toMatchObject({ type: 'queued', position: 1, waiting: 1 });
    expect(fourth.event.waitS).toBeCloseTo(4 * 5.5 + 5.5, 5);
    expect((await statusOf(c, third.job)).event).toMatchObject({ position: 1, waiting: 2, waitS: 22 });
    // Once the second job runs, its own ETA replaces the estimate.
    for (let d = 1; d <= 30; d++) {
      fake.runs[1].onProgress({ kind: 'progress', done: d, total: 130 });
      clock.ms += 1000;
    }
    const eta = (await statusOf(c, second.job)).event.etaS as number;
    expect(eta).toBeCloseTo(100, 0);
    const waits = [(await statusOf(c, third.job)).event.waitS, (await statusOf(c, fourth.job)).event.waitS] as number[];
    expect(waits[0]).toBeCloseTo(eta, 5);
    expect(waits[1]).toBeCloseTo(eta + 5.5, 5);
  });

  it('interrupts a job no page follows once the grace period is over, and logs it', async () => {
    const lines: string[] = [];
    const { c, backends, app } = await setup({ orphanGraceMs: 800, log: (l) => lines.push(l) });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const id = (await c.generate()).json().job as string;
    const fake = backends.get('default')!;
    // An open event stream keeps it alive well past the grace period.
    const controller = new AbortController();
    const stream = await fetch(`${address}/api/jobs/${id}/events`, { headers: { cookie: c.cookie }, signal: controller.signal });
    expect(stream.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect(fake.runs[0].signal.aborted).toBe(false);
    // The page goes away: within the grace period (and a little slack) the job is stopped.
    const t0 = Date.now();
    controller.abort();
    await until(() => fake.runs[0].signal.aborted, 3000);
    const after = Date.now() - t0;
    expect(after).toBeGreaterThanOrEqual(790);
    expect(after).toBeLessThan(2500);
    await until(() => lines.some((l) => l.includes(`job ${id} interrupted: no page has followed it`)));
    for (let i = 0; i < 100 && (await statusOf(c, id)).status !== 'interrupted'; i++) await new Promise((r) => setTimeout(r, 5));
    // (the status request itself counts as following, but the job has ended by now)
    expect(await statusOf(c, id)).toMatchObject({ status: 'interrupted', event: { message: 'Interrupted: no page was following the generation.' } });
  });

  it('a queued job nobody follows leaves the queue after the grace period', async () => {
    const { c, backends } = await setup({ orphanGraceMs: 150 });
    const running = (await c.generate()).json().job as string;
    const fake = backends.get('default')!;
    const queued = (await c.generate()).json().job as string;
    // A script polling the running job's status keeps that one alive.
    for (let i = 0; i < 10; i++) {
      await statusOf(c, running);
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(fake.runs[0].signal.aborted).toBe(false);
    expect((await statusOf(c, queued)).event).toMatchObject({ type: 'interrupted', message: 'Interrupted: no page was following the generation.' });
    expect(fake.runs).toHaveLength(1); // it never started
  });
});

describe('musicgen app: the whole form is checked at once', () => {
  it('names every wrong field by its label on the page', async () => {
    const { c } = await setup();
    const res = await c.generate({ topK: -1, topP: 2, temperature: 'warm', cfgCoef: -1, duration: 500, seed: 1.5 });
    expect(res.statusCode).toBe(400);
    const fields = res.json().fields as { field: string; message: string }[];
    expect(Object.fromEntries(fields.map((f) => [f.field, f.message]))).toEqual({
      duration: 'Duration must be from 1 to 120 seconds, got 500',
      temperature: 'Temperature must be a number, got "warm"',
      topK: expect.stringMatching(/^Top-k must be an integer >= 0/),
      topP: expect.stringMatching(/^Top-p must be a number in \[0, 1\]/),
      cfgCoef: expect.stringMatching(/^Classifier-free guidance must be a finite number >= 0/),
      seed: expect.stringMatching(/^Seed must be a safe integer/),
    });
    for (const f of fields) expect(f.message).not.toMatch(/topK|topP|cfgCoef/);
  });
});
