import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSampleSidecar } from '../../src/analysis/sampleFiles.js';
import { runSweep } from '../../src/analysis/sweepRunner.js';
import { SweepSpecError } from '../../src/analysis/errors.js';
import type { SweepSpec } from '../../src/analysis/sweepSpec.js';
import { RepoNotFoundError } from '../../src/hub/errors.js';
import { QueueJobError } from '../../src/queue/errors.js';
import { runSweepOnQueue } from '../../src/queue/queuedSweep.js';
import { FakeHub, filesOfFolder } from '../hub/fakeHub.js';
import { synthesizedPreset } from '../helpers/models.js';
import { spawnCollecting, type Spawned } from '../helpers/processes.js';
import { TestRedis } from '../helpers/redis.js';
import { haveTool } from '../helpers/tools.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), 'cliChild.ts');
const REPO = 'test-org/musicgen-tiny-onnx';
const OTHER = 'other-org/musicgen-tiny-onnx';

describe.skipIf(!haveTool('redis-server', 'sweeps on BullMQ workers need a Redis server'))('queued sweeps of hub models', () => {
  let redis: TestRedis;
  let hub: FakeHub;
  const work = mkdtempSync(join(tmpdir(), 'queue-hub-'));
  /** The worker's own cache: the collector never writes there. */
  const workerCache = join(work, 'worker-cache');
  let worker: Spawned;

  beforeAll(async () => {
    // A transformers.js-style repository (merged decoder), as Xenova/musicgen-small.
    const files = filesOfFolder(synthesizedPreset('tiny', 0, 'merged'));
    hub = await FakeHub.start({ [REPO]: { files }, [OTHER]: { files } });
    redis = await TestRedis.start();
    // The collector (this process) reads config.json and the commit from the same hub.
    process.env.HF_ENDPOINT = hub.endpoint;
    worker = spawnCollecting(process.execPath, ['--import', 'tsx', cli, 'worker', '--queue', redis.url(3), '--threads', '1', '--allow-models', `${work},${REPO}`], {
      ...process.env,
      HF_ENDPOINT: hub.endpoint,
      MUSICGEN_CACHE_DIR: workerCache,
    });
    await worker.waitFor(/worker ready/);
  }, 120_000);

  afterAll(async () => {
    delete process.env.HF_ENDPOINT;
    if (worker && worker.proc.exitCode === null) {
      worker.proc.kill('SIGTERM');
      await worker.exited;
    }
    await redis?.stop();
    await hub?.close();
  });

  const spec = (repo: string): SweepSpec => ({ models: [{ repo, name: 'tiny-hub' }], prompts: ['a', 'b'], seeds: [1, 2], duration: 0.1, cfgCoef: [3] });

  it('the worker fetches the repository into its own cache once, at the commit the collector pinned; samples equal a local run of that folder', async () => {
    const outDir = join(work, 'queued');
    const result = await runSweepOnQueue(spec(REPO), { queue: redis.url(3), outDir, maxBatch: 2, pollMs: 100 });
    expect(result.rows).toHaveLength(4);
    expect(result.batches).toHaveLength(2);
    const commit = hub.commitOf(REPO);
    const written = JSON.parse(readFileSync(join(outDir, 'sweep.json'), 'utf8')) as { models: Array<{ repo: string; revision: string; path: string }> };
    expect(written.models[0]).toMatchObject({ repo: REPO, revision: commit, path: '' });
    expect(result.rows[0].modelPath).toBe(`${REPO}@${commit}`);

    // Two jobs, one download into the worker's cache, at the pinned commit.
    const fetchedDir = join(workerCache, 'hub', 'test-org--musicgen-tiny-onnx', commit);
    expect(existsSync(join(fetchedDir, 'config.json'))).toBe(true);
    // The weights were requested from the hub once each (the collector reads only config.json).
    const weights = hub
      .contentRequests()
      .filter((r) => r.server === 'hub' && /\.onnx(\?|$)/.test(r.url))
      .map((r) => r.url);
    expect(weights.length).toBeGreaterThan(0);
    expect(new Set(weights).size).toBe(weights.length);
    expect(worker.output()).toMatch(new RegExp(`fetched ${REPO}@${commit.slice(0, 8)} \\(fp32\\)`));
    expect(worker.output().match(/fetched test-org/g)).toHaveLength(1);

    // The same spec run here on the folder the worker fetched: the same codes, sample by sample.
    const local = await runSweep({ ...spec(REPO), models: [{ path: fetchedDir, name: 'tiny-hub' }] }, { outDir: join(work, 'local'), maxBatch: 2, threads: 1 });
    for (const row of local.rows) {
      expect(readSampleSidecar(outDir, row.sampleId)!.codes).toEqual(readSampleSidecar(join(work, 'local'), row.sampleId)!.codes);
    }
  }, 180_000);

  it('a hub model outside --allow-models is refused with the flag to use; an unknown repository fails before anything is queued', async () => {
    const run = runSweepOnQueue(spec(OTHER), { queue: redis.url(3), outDir: join(work, 'refused'), pollMs: 100 });
    await expect(run).rejects.toThrow(QueueJobError);
    await expect(run).rejects.toThrow(
      /failed after 1 attempt\(s\): refused: hub model other-org\/musicgen-tiny-onnx is not among the hub models this worker may fetch \(test-org\/musicgen-tiny-onnx\); start the worker with --allow-models naming it/,
    );
    expect(existsSync(join(workerCache, 'hub', 'other-org--musicgen-tiny-onnx'))).toBe(false);

    await expect(runSweepOnQueue(spec('test-org/missing'), { queue: redis.url(3), outDir: join(work, 'missing') })).rejects.toThrow(RepoNotFoundError);
    expect(existsSync(join(work, 'missing'))).toBe(false);
  }, 120_000);

  it('musicgen sweep without --queue fetches a hub model into this machine\'s cache and gives the queued run\'s samples', async () => {
    const dir = join(work, 'cli');
    const specFile = join(work, 'hub-spec.json');
    writeFileSync(specFile, JSON.stringify(spec(REPO)));
    const cache = join(work, 'cli-cache');
    const run = spawnCollecting(process.execPath, ['--import', 'tsx', cli, 'sweep', specFile, '--out', dir, '--max-batch', '2', '--threads', '1', '--no-report'], {
      ...process.env,
      HF_ENDPOINT: hub.endpoint,
      MUSICGEN_CACHE_DIR: cache,
    });
    expect(await run.exited, run.output()).toBe(0);
    const fetchedDir = join(cache, 'hub', 'test-org--musicgen-tiny-onnx', 'main');
    const written = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as { models: Array<{ repo: string; path: string }> };
    expect(written.models[0]).toMatchObject({ repo: REPO, path: fetchedDir });
    const rows = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Array<{ sampleId: string; modelPath: string }>;
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      expect(row.modelPath).toBe(fetchedDir);
      expect(readSampleSidecar(dir, row.sampleId)!.codes).toEqual(readSampleSidecar(join(work, 'queued'), row.sampleId)!.codes);
    }
  }, 120_000);

  it('a local sweep naming a hub model says how to run it', async () => {
    await expect(runSweep(spec(REPO), { outDir: join(work, 'local-hub') })).rejects.toThrow(SweepSpecError);
    await expect(runSweep(spec(REPO), { outDir: join(work, 'local-hub') })).rejects.toThrow(/is the hub model test-org\/musicgen-tiny-onnx: run the sweep with --queue/);
  });
});
