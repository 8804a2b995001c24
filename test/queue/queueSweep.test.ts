import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSampleSidecar, sampleSidecarPath, sampleWavPath } from '../../src/analysis/sampleFiles.js';
import { runSweep } from '../../src/analysis/sweepRunner.js';
import { expandSweep, parseSweepSpec, type SweepSpec } from '../../src/analysis/sweepSpec.js';
import type { SweepResultRow } from '../../src/analysis/sweepResults.js';
import { Redis } from 'ioredis';
import { QUEUE_NAME } from '../../src/queue/batchJob.js';
import { parseQueueUrl } from '../../src/queue/queueUrl.js';
import { runSweepOnQueue } from '../../src/queue/queuedSweep.js';
import { synthesizedPreset } from '../helpers/models.js';
import { alive, descendants, spawnCollecting, type Spawned } from '../helpers/processes.js';
import { TestRedis } from '../helpers/redis.js';
import { haveTool } from '../helpers/tools.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), 'cliChild.ts');
const PASSWORD = 'p4ss-never-printed';
/** Row fields that measure time or memory: they differ from run to run, everything else must not. */
const MEASURED = ['batchWallMs', 'wallMs', 'textEncoderMs', 'decoderMs', 'codecMs', 'realTimeFactor', 'stepsPerSecond', 'peakRssMb', 'maxRssMb'] as const;

function worker(url: string, modelsDir: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Spawned {
  return spawnCollecting(process.execPath, ['--import', 'tsx', cli, 'worker', '--queue', url, '--threads', '1', '--allow-models', modelsDir, ...extra], { ...process.env, ...env });
}

/** `job <id> done` lines of worker logs: job id -> how many times it finished. */
function finishedJobs(logs: string[]): Map<string, number> {
  const done = new Map<string, number>();
  for (const log of logs) for (const m of log.matchAll(/job (batch-[0-9a-f]+) done/g)) done.set(m[1], (done.get(m[1]) ?? 0) + 1);
  return done;
}

function stripMeasured(row: SweepResultRow): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...row };
  for (const k of MEASURED) delete copy[k];
  return copy;
}

/** No temporary or partial file anywhere in a sweep folder. */
function leftovers(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tmp'));
}

async function stopAll(procs: Spawned[]): Promise<void> {
  for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}

describe.skipIf(!haveTool('redis-server', 'sweeps on BullMQ workers need a Redis server'))('sweeps on a Redis queue', () => {
  let redis: TestRedis;
  let modelDir: string;
  let modelsDir: string;
  let db = 0;

  beforeAll(async () => {
    redis = await TestRedis.start(PASSWORD);
    modelDir = synthesizedPreset('tiny');
    modelsDir = dirname(modelDir);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('16 settings over 3 worker processes equal the local run: codes, wavs, every metric but timings; each job done once; no password printed', async () => {
    // 2 top-k x 2 temperatures x 2 CFG x 2 seeds; batches of 2 -> 8 jobs.
    const spec: SweepSpec = {
      name: 'queue-grid',
      models: [{ name: 'tiny', path: modelDir }],
      prompts: ['warm piano and soft drums'],
      topK: [50, 250],
      temperature: [0.7, 1],
      cfgCoef: [1, 3],
      seeds: [1, 2],
      duration: 0.3,
      strategy: 'peak',
    };
    const url = redis.url(++db);
    const workers = [worker(url, modelsDir), worker(url, modelsDir), worker(url, modelsDir)];
    try {
      const local = await runSweep(spec, { outDir: mkdtempSync(join(tmpdir(), 'queue-local-')), maxBatch: 2, threads: 1 });
      await Promise.all(workers.map((w) => w.waitFor(/worker ready/)));
      let log = '';
      const out = mkdtempSync(join(tmpdir(), 'queue-out-'));
      const queued = await runSweepOnQueue(spec, { queue: url, outDir: out, maxBatch: 2, log: (m) => (log += m) });

      expect(queued.generated).toHaveLength(16);
      expect(queued.batches).toHaveLength(8);
      expect(queued.rows.map((r) => r.sampleId)).toEqual(local.rows.map((r) => r.sampleId));
      for (const [i, row] of queued.rows.entries()) {
        expect(stripMeasured(row), row.sampleId).toEqual(stripMeasured(local.rows[i]));
        expect(readSampleSidecar(out, row.sampleId)!.codes).toEqual(readSampleSidecar(local.outDir, row.sampleId)!.codes);
        expect(readFileSync(sampleWavPath(out, row.sampleId)).equals(readFileSync(sampleWavPath(local.outDir, row.sampleId))), row.sampleId).toBe(true);
      }
      // The collector writes the same result files (rows in grid order).
      const rowsOf = (dir: string): Record<string, unknown>[] => (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as SweepResultRow[]).map(stripMeasured);
      expect(rowsOf(out)).toEqual(rowsOf(local.outDir));
      expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(readFileSync(join(local.outDir, 'manifest.json'), 'utf8'));
      expect(leftovers(out)).toEqual([]);

      // Each of the 8 jobs finished exactly once, on more than one worker.
      const logs = workers.map((w) => w.output());
      const done = finishedJobs(logs);
      expect(done.size).toBe(8);
      expect([...done.values()].every((n) => n === 1)).toBe(true);
      expect(logs.filter((l) => /job batch-\S+ done/.test(l)).length).toBeGreaterThanOrEqual(2);
      expect(logs.join('') + log).not.toContain(PASSWORD);
      // Collected results leave nothing behind in Redis: no job, no stored codes or audio.
      const client = new Redis(parseQueueUrl(url).options);
      try {
        expect(await client.keys(`${QUEUE_NAME}:data:*`)).toEqual([]);
        expect(await client.keys(`bull:${QUEUE_NAME}:batch-*`)).toEqual([]);
      } finally {
        client.disconnect();
      }
      expect(logs[0]).toContain(`redis://:***@127.0.0.1:${redis.port}/${db}`);
    } finally {
      await stopAll(workers);
    }
  });

  it('SIGKILL of a worker mid-job: its processes die with it, another worker finishes the job, every sample once, no partial file', async () => {
    const spec: SweepSpec = { models: [{ name: 'tiny', path: modelDir }], prompts: ['slow strings'], cfgCoef: [1, 3], seeds: [1, 2, 3, 4], duration: 2, strategy: 'peak' };
    const url = redis.url(++db);
    // Started as bin/musicgen.js starts it: a launcher that relaunches the worker under the malloc
    // tunables. The launcher is what gets the SIGKILL.
    const first = worker(url, modelsDir, ['--lock-duration', '2000'], { MUSICGEN_TEST_RELAUNCH: '1' });
    const procs = [first];
    try {
      await first.waitFor(/worker ready/);
      const out = mkdtempSync(join(tmpdir(), 'queue-kill-'));
      let killedPids: number[] = [];
      let killedJob = '';
      const run = runSweepOnQueue(spec, {
        queue: url,
        outDir: out,
        maxBatch: 4,
        // Polled often, so that a job's step progress is seen even when it runs fast (idle machine).
        pollMs: 25,
        progress: (p) => {
          // Steps are reported from inside a job: the worker is generating now.
          if (p.doneSteps > 0 && killedPids.length === 0 && p.doneSamples === 0) {
            killedJob = /job (batch-[0-9a-f]+) started/.exec(first.output())![1];
            killedPids = [first.proc.pid!, ...descendants(first.proc.pid!)];
            first.proc.kill('SIGKILL');
            procs.push(worker(url, modelsDir, ['--lock-duration', '2000']));
          }
        },
      });
      const result = await run;
      expect(killedPids.length).toBeGreaterThanOrEqual(3); // the launcher, the worker, its sandbox child
      // Nothing of the killed worker survives it (the sandbox child notices within a second).
      const deadline = Date.now() + 5000;
      while (killedPids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(killedPids.filter(alive)).toEqual([]);

      expect(result.generated).toHaveLength(8);
      for (const s of expandSweep(parseSweepSpec(spec))) expect(readSampleSidecar(out, s.sampleId), s.sampleId).not.toBeNull();
      expect(leftovers(out)).toEqual([]);
      const done = finishedJobs(procs.map((p) => p.output()));
      expect([...done.entries()].sort()).toEqual([[killedJob, 1], ...[...done.entries()].filter(([id]) => id !== killedJob)].sort());
      expect([...done.values()].every((n) => n === 1)).toBe(true);
      expect(procs[1].output()).toMatch(new RegExp(`job ${killedJob} done`));
    } finally {
      await stopAll(procs);
    }
  });

  it('SIGTERM mid-job: the worker finishes the running job, then exits 0 and takes no other', async () => {
    const spec: SweepSpec = { models: [{ name: 'tiny', path: modelDir }], prompts: ['calm'], cfgCoef: [1, 3], seeds: [1, 2], duration: 2, strategy: 'peak' };
    const url = redis.url(++db);
    const w = worker(url, modelsDir);
    try {
      await w.waitFor(/worker ready/);
      const run = runSweepOnQueue(spec, { queue: url, outDir: mkdtempSync(join(tmpdir(), 'queue-term-')), maxBatch: 2 });
      // Told to stop as soon as it has taken its first job (the worker's own log says so): a
      // collector's progress poll could miss a short job on an idle machine.
      await w.waitFor(/job \S+ started/);
      const termed = w.proc.kill('SIGTERM');
      // The worker exits once the SIGTERM sent mid-job has let it finish that job.
      expect(await w.exited, w.output()).toBe(0);
      expect(termed).toBe(true);
      expect(w.output()).toMatch(/finishing the running job, then exiting/);
      // Exactly the job it was running when told to stop finished; the other waits on the queue.
      expect([...finishedJobs([w.output()]).values()]).toEqual([1]);
      const second = worker(url, modelsDir);
      try {
        const result = await run;
        expect(result.generated).toHaveLength(4);
        expect(finishedJobs([second.output()]).size).toBe(1);
      } finally {
        await stopAll([second]);
      }
    } finally {
      await stopAll([w]);
    }
  });

  it('the collector killed mid-sweep and run again collects what finished meanwhile, regenerating nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'queue-collector-'));
    const specPath = join(dir, 'spec.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(specPath, JSON.stringify({ name: 'resume', models: [{ name: 'tiny', path: modelDir }], prompts: ['a', 'b'], cfgCoef: [1, 3], seeds: [1, 2], duration: 1, strategy: 'peak' }));
    const url = redis.url(++db);
    const out = join(dir, 'out');
    const w = worker(url, modelsDir);
    const procs = [w];
    try {
      await w.waitFor(/worker ready/);
      const collector = spawnCollecting(process.execPath, ['--import', 'tsx', cli, 'sweep', specPath, '--queue', url, '--out', out, '--max-batch', '2']);
      procs.push(collector);
      // Kill it as soon as the first sample is on disk.
      const deadline = Date.now() + 90_000;
      const written = (): string[] => (existsSync(join(out, 'samples')) ? readdirSync(join(out, 'samples')).filter((f) => f.endsWith('.json')) : []);
      while (written().length === 0) {
        if (Date.now() > deadline || collector.proc.exitCode !== null) throw new Error(`no sample written:\n${collector.output()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      collector.proc.kill('SIGKILL');
      await collector.exited;
      const before = new Map(written().map((f) => [f, statSync(join(out, 'samples', f)).mtimeMs]));
      expect(before.size).toBeLessThan(8);

      const again = spawnCollecting(process.execPath, ['--import', 'tsx', cli, 'sweep', specPath, '--queue', url, '--out', out, '--max-batch', '2']);
      procs.push(again);
      expect(await again.exited, again.output()).toBe(0);
      expect(again.output()).toMatch(/already there/);
      for (const [f, mtime] of before) expect(statSync(join(out, 'samples', f)).mtimeMs, f).toBe(mtime);
      const rows = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as SweepResultRow[];
      expect(rows).toHaveLength(8);
      expect(existsSync(join(out, 'report.html'))).toBe(true);
      for (const r of rows) expect(existsSync(sampleSidecarPath(out, r.sampleId))).toBe(true);
      expect(leftovers(out)).toEqual([]);
      // 4 jobs, each generated once although two collectors enqueued them.
      const done = finishedJobs([w.output()]);
      expect(done.size).toBe(4);
      expect([...done.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await stopAll(procs);
    }
  });

  it('Redis stopped and restarted (appendonly) mid-sweep: the sweep completes, every sample once', async () => {
    const spec: SweepSpec = { models: [{ name: 'tiny', path: modelDir }], prompts: ['a', 'b'], cfgCoef: [1, 3], seeds: [1, 2], duration: 1, strategy: 'peak' };
    const url = redis.url(++db);
    const w = worker(url, modelsDir);
    try {
      await w.waitFor(/worker ready/);
      let log = '';
      let restarted: Promise<void> | null = null;
      const result = await runSweepOnQueue(spec, {
        queue: url,
        outDir: mkdtempSync(join(tmpdir(), 'queue-restart-')),
        maxBatch: 2,
        log: (m) => (log += m),
        progress: (p) => {
          if (p.doneSamples >= 2 && !restarted) {
            restarted = (async () => {
              await redis.stopServer();
              await new Promise((r) => setTimeout(r, 1500));
              await redis.startServer();
            })();
          }
        },
      });
      await restarted;
      expect(restarted).not.toBeNull();
      expect(result.generated).toHaveLength(8);
      expect(log).toMatch(/went away/);
      const done = finishedJobs([w.output()]);
      expect(done.size).toBe(4);
      expect([...done.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await stopAll([w]);
    }
  });
});
