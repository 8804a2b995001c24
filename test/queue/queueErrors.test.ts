import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_FORMAT_VERSION, parseBatchJobPayload, QUEUE_NAME, type BatchJobPayload } from '../../src/queue/batchJob.js';
import { JobPayloadError, QueueConnectionError, QueueJobError, QueueUrlError } from '../../src/queue/errors.js';
import { parseQueueUrl, redactUrl } from '../../src/queue/queueUrl.js';
import { runSweepOnQueue } from '../../src/queue/queuedSweep.js';
import { synthesizedPreset } from '../helpers/models.js';
import { spawnCollecting } from '../helpers/processes.js';
import { freePort, TestRedis } from '../helpers/redis.js';
import { haveTool } from '../helpers/tools.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), 'cliChild.ts');

describe('queue URLs', () => {
  it('parses host, port, db and password, and never shows the password', () => {
    const t = parseQueueUrl('redis://:s3cret%21@10.0.0.5:6380/2');
    expect(t.options).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2, password: 's3cret!' });
    expect(t.display).toBe('redis://:***@10.0.0.5:6380/2');
    expect(parseQueueUrl('redis://localhost').display).toBe('redis://localhost:6379/0');
    expect(parseQueueUrl('rediss://user:pw@h:1/0').options.tls).toEqual({});
    expect(redactUrl('redis://user:pw@h:1')).toBe('redis://user:***@h:1');
  });

  it('rejects what is not a Redis URL with a message that names the form and hides the password', () => {
    expect(() => parseQueueUrl('http://:pw@host:1')).toThrow(QueueUrlError);
    expect(() => parseQueueUrl('http://:pw@host:1')).toThrow(/--queue http:\/\/:\*\*\*@host:1 must start with redis:\/\//);
    expect(() => parseQueueUrl('localhost:6379')).toThrow(/redis:\/\//);
    expect(() => parseQueueUrl('redis://h:1/99')).toThrow(/database number 0-15/);
    expect(() => parseQueueUrl('not a url :pw@x')).not.toThrow(/pw@/);
  });
});

describe('sweep --queue flags', () => {
  it('--threads with --queue is refused before anything connects or is written: the workers\' --threads counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'threads-'));
    const spec = join(dir, 'spec.json');
    writeFileSync(spec, JSON.stringify({ models: [synthesizedPreset('tiny')], prompts: ['x'], duration: 0.1 }));
    const port = await freePort();
    const run = spawnCollecting(process.execPath, ['--import', 'tsx', cli, 'sweep', spec, '--queue', `redis://127.0.0.1:${port}`, '--threads', '2', '--out', join(dir, 'out')]);
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/musicgen: --threads does nothing with --queue: the workers run the models, each with its own threads \(musicgen worker --threads N\)/);
    expect(run.output()).not.toMatch(/unreachable/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});

describe('batch job payloads', () => {
  const root = mkdtempSync(join(tmpdir(), 'payload-'));
  const models = join(root, 'models');
  const outside = join(root, 'elsewhere');
  mkdirSync(join(models, 'm'), { recursive: true });
  mkdirSync(outside);
  symlinkSync(outside, join(models, 'link'));
  const good = (): BatchJobPayload => ({
    version: BATCH_FORMAT_VERSION,
    model: { name: 'm', path: join(models, 'm'), dtype: 'fp32' },
    params: { duration: 1, extendStride: 18, twoStepCfg: false },
    melodySampleRate: 32000,
    items: [{ text: 'x', settings: { useSampling: true, topK: 250, topP: 0, temperature: 1, cfgCoef: 3, seed: 1 }, melody: null }],
  });
  const refused = (mutate: (p: Record<string, unknown>) => void): string => {
    const p = good() as unknown as Record<string, unknown>;
    mutate(p);
    try {
      parseBatchJobPayload(p, [models]);
    } catch (err) {
      expect(err).toBeInstanceOf(JobPayloadError);
      return (err as Error).message;
    }
    throw new Error('payload was accepted');
  };

  it('accepts a valid payload and returns generateBatch items', () => {
    const { items, source } = parseBatchJobPayload(good(), [models]);
    expect(source).toEqual({ kind: 'folder', path: join(models, 'm') });
    expect(items[0]).toEqual({ text: 'x', params: good().items[0].settings, melody: null });
  });

  it('refuses models outside the allowed folders, through .. or a symlink, and malformed fields', () => {
    expect(refused((p) => ((p.model as { path: string }).path = outside))).toMatch(/outside the folders this worker may load/);
    expect(refused((p) => ((p.model as { path: string }).path = join(models, '..', 'elsewhere')))).toMatch(/outside/);
    expect(refused((p) => ((p.model as { path: string }).path = join(models, 'link')))).toMatch(/outside/);
    expect(refused((p) => ((p.model as { path: string }).path = 'm'))).toMatch(/not absolute/);
    expect(refused((p) => ((p.model as { path: string }).path = join(models, 'missing')))).toMatch(/does not exist on this worker/);
    expect(refused((p) => (p.version = 99))).toMatch(new RegExp(`format 99 is not the format ${BATCH_FORMAT_VERSION}`));
    expect(refused((p) => (p.items = 'x'))).toMatch(/job.items must be a list/);
    expect(refused((p) => (p.extra = 1))).toMatch(/job.extra is not a field/);
    expect(refused((p) => ((p.model as { dtype: string }).dtype = '../x'))).toMatch(/dtype must be one of/);
    expect(refused((p) => ((p.items as BatchJobPayload['items'])[0].settings.topP = 2))).toMatch(/items\[0\].settings.topP must be a number in \[0, 1\]/);
    expect(refused((p) => ((p.items as BatchJobPayload['items'])[0].melody = ['abc']))).toMatch(/melody\[0\] must be base64 float32/);
    expect(refused((p) => ((p.params as { duration: number }).duration = 1e9))).toMatch(/duration must be seconds/);
  });

  it('accepts a hub model named by --allow-models (owner/name or owner/*) and refuses others, and malformed ids and commits', () => {
    const commit = 'a'.repeat(40);
    const hub = (repo: unknown, c: unknown = commit): BatchJobPayload => ({ ...good(), model: { name: 'm', repo, commit: c, dtype: 'q8' } as never });
    const allow = [models, 'facebook/musicgen-small', 'test-org/*'];
    expect(parseBatchJobPayload(hub('facebook/musicgen-small'), allow).source).toEqual({ kind: 'hub', repoId: 'facebook/musicgen-small', commit });
    expect(parseBatchJobPayload(hub('test-org/anything'), allow).source).toEqual({ kind: 'hub', repoId: 'test-org/anything', commit });
    const refuse = (p: BatchJobPayload, allowed: string[]): string => {
      try {
        parseBatchJobPayload(p, allowed);
      } catch (err) {
        expect(err).toBeInstanceOf(JobPayloadError);
        return (err as Error).message;
      }
      throw new Error('payload was accepted');
    };
    expect(refuse(hub('facebook/musicgen-large'), allow)).toMatch(
      /hub model facebook\/musicgen-large is not among the hub models this worker may fetch \(facebook\/musicgen-small, test-org\/\*\); start the worker with --allow-models naming it/,
    );
    // A folder root allows no hub model, and a hub id allows no folder.
    expect(refuse(hub('facebook/musicgen-small'), [models])).toMatch(/\(none\)/);
    expect(refuse(good(), ['facebook/musicgen-small'])).toMatch(/outside the folders this worker may load \(--allow-models names no folder\)/);
    expect(refuse(hub('../etc'), allow)).toMatch(/job.model.repo must be a hub model id/);
    expect(refuse(hub('facebook/musicgen-small', 'main'), allow)).toMatch(/job.model.commit must be a 40-hex commit sha/);
    expect(refuse({ ...good(), model: { name: 'm', path: join(models, 'm'), repo: 'facebook/musicgen-small', commit, dtype: 'fp32' } as never }, allow)).toMatch(/both a folder/);
  });
});

describe.skipIf(!haveTool('redis-server', 'sweeps on BullMQ workers need a Redis server'))('queue errors against real processes', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await TestRedis.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a worker refuses, without retries, a job whose model is outside --allow-models and a malformed payload; the sweep says why', async () => {
    const modelDir = synthesizedPreset('tiny');
    const allowed = mkdtempSync(join(tmpdir(), 'allowed-'));
    const url = redis.url(1);
    const w = spawnCollecting(process.execPath, ['--import', 'tsx', cli, 'worker', '--queue', url, '--allow-models', allowed]);
    try {
      await w.waitFor(/worker ready/);
      const run = runSweepOnQueue(
        { models: [{ name: 'tiny', path: modelDir }], prompts: ['x'], duration: 0.1 },
        { queue: url, outDir: mkdtempSync(join(tmpdir(), 'refused-')), pollMs: 100 },
      );
      await expect(run).rejects.toThrow(QueueJobError);
      await expect(run).rejects.toThrow(/failed after 1 attempt\(s\): refused: model folder .* is outside the folders this worker may load \(--allow-models/);

      // A payload no collector would send, put on the queue by hand.
      const queue = new Queue(QUEUE_NAME, { connection: parseQueueUrl(url).options });
      try {
        const job = await queue.add('batch', { version: BATCH_FORMAT_VERSION, model: { name: 'x', path: '/etc', dtype: 'fp32' }, items: 'all' }, { attempts: 3 });
        const deadline = Date.now() + 90_000;
        while ((await queue.getJobState(job.id!)) !== 'failed') {
          if (Date.now() > deadline) throw new Error(`the malformed job did not fail:\n${w.output()}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const failed = await queue.getJob(job.id!);
        expect(failed!.failedReason).toMatch(/^refused: (model folder \/etc is outside the folders this worker may load|job.params must be an object)/);
        expect(failed!.attemptsMade).toBe(1);
      } finally {
        await queue.close();
      }
      expect(w.output()).toMatch(/failed: refused/);
    } finally {
      w.proc.kill('SIGTERM');
      expect(await w.exited).toBe(0);
    }
  });

  it('an unreachable Redis: sweep and worker retry for --redis-timeout, then exit with a clear message and no password', async () => {
    const port = await freePort();
    const url = `redis://:hunter2-secret@127.0.0.1:${port}/0`;
    const dir = mkdtempSync(join(tmpdir(), 'unreachable-'));
    const spec = join(dir, 'spec.json');
    writeFileSync(spec, JSON.stringify({ models: [synthesizedPreset('tiny')], prompts: ['x'], duration: 0.1 }));
    const t0 = Date.now();
    // The sweep takes the URL on the command line, the worker from MUSICGEN_QUEUE.
    const sweep = spawnCollecting(process.execPath, ['--import', 'tsx', cli, 'sweep', spec, '--queue', url, '--out', join(dir, 'out'), '--redis-timeout', '1']);
    const worker = spawnCollecting(process.execPath, ['--import', 'tsx', cli, 'worker', '--redis-timeout', '1'], { ...process.env, MUSICGEN_QUEUE: url });
    expect(await sweep.exited).toBe(1);
    expect(await worker.exited).toBe(1);
    expect(Date.now() - t0).toBeLessThan(60_000);
    for (const p of [sweep, worker]) {
      expect(p.output()).toMatch(new RegExp(`is unreachable \\(connect ECONNREFUSED 127.0.0.1:${port}\\); retrying for up to 1 s`));
      expect(p.output()).toMatch(new RegExp(`musicgen: cannot reach Redis at redis://:\\*\\*\\*@127.0.0.1:${port}/0 for more than 1 s`));
      expect(p.output()).not.toContain('hunter2');
    }
    // In-process: the same typed error.
    await expect(
      runSweepOnQueue({ models: [synthesizedPreset('tiny')], prompts: ['x'], duration: 0.1 }, { queue: url, outDir: join(dir, 'o2'), redisTimeoutMs: 500 }),
    ).rejects.toThrow(QueueConnectionError);
    // A URL that is not one fails before any connection.
    const bad = spawnCollecting(process.execPath, ['--import', 'tsx', cli, 'worker', '--queue', 'http://:hunter2@127.0.0.1:1']);
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(/--queue http:\/\/:\*\*\*@127.0.0.1:1 must start with redis:\/\//);
    expect(bad.output()).not.toContain('hunter2');
  });
});
