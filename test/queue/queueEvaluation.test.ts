import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAudio } from '../../src/audio/write.js';
import { runEncode } from '../../src/cli/encode.js';
import { evaluateModels } from '../../src/evaluation/evaluateRun.js';
import type { EvaluationRow } from '../../src/evaluation/evaluationResults.js';
import { AbortError } from '../../src/inference/errors.js';
import { QUEUE_NAME } from '../../src/queue/batchJob.js';
import { JobPayloadError } from '../../src/queue/errors.js';
import { evaluationJobId, evaluationJobPayload, parseEvaluationJobPayload } from '../../src/queue/evaluationJob.js';
import { parseQueueUrl } from '../../src/queue/queueUrl.js';
import { evaluateOnQueue } from '../../src/queue/queuedEvaluation.js';
import { synthesizedPreset } from '../helpers/models.js';
import { spawnCollecting, type Spawned } from '../helpers/processes.js';
import { TestRedis } from '../helpers/redis.js';
import { haveTool } from '../helpers/tools.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), 'cliChild.ts');
const sr = 32000;
const tone = (freqs: number[], seconds: number): Float32Array =>
  Float32Array.from({ length: Math.round(seconds * sr) }, (_, i) => freqs.reduce((a, f) => a + (0.3 / freqs.length) * Math.sin((2 * Math.PI * f * i) / sr), 0));

/** A row without its timing: everything else must equal the local run's. */
const scored = (r: EvaluationRow): Omit<EvaluationRow, 'decoderMs'> => {
  const { decoderMs: _, ...rest } = r;
  return rest;
};

const work = mkdtempSync(join(tmpdir(), 'queue-eval-'));
let tokens: string;
let text: string;
let melody: string;

beforeAll(async () => {
  text = synthesizedPreset('tiny', 0);
  melody = synthesizedPreset('melody-tiny');
  const data = join(work, 'data');
  mkdirSync(join(data, 'jazz'), { recursive: true });
  await writeAudio(join(data, 'jazz', 'a.wav'), [tone([220, 330], 1.5)], sr, { strategy: 'none' });
  writeFileSync(join(data, 'jazz', 'a.json'), JSON.stringify({ description: 'smooth jazz with piano' }));
  await writeAudio(join(data, 'b.wav'), [tone([523, 659, 784], 1)], sr, { strategy: 'none' });
  tokens = join(work, 'tokens');
  await runEncode(data, { model: text, out: tokens, segment: 1, minSegment: 0.5, quiet: true, threads: 1 });
}, 120_000);

describe('musicgen evaluate --queue: flags', () => {
  it('refuses --data (encode first) and --threads (the workers\' flag) before connecting', async () => {
    for (const [extra, message] of [
      [['--data', join(work, 'data')], /--queue scores a token cache: encode the dataset first \(musicgen encode <dataset> --model DIR --out TOKENS\)/],
      [['--tokens', join(work, 'tokens'), '--threads', '1'], /--threads does nothing with --queue/],
    ] as const) {
      const run = spawnCollecting(process.execPath, ['--import', 'tsx', cli, 'evaluate', '--model', synthesizedPreset('tiny', 0), ...extra, '--queue', 'redis://127.0.0.1:1']);
      expect(await run.exited).toBe(1);
      expect(run.output()).toMatch(message);
      expect(run.output()).not.toMatch(/unreachable/);
    }
  });
});

describe('evaluation job payloads', () => {
  it('a payload names the same job id each time, parses back to the segment, and a malformed one is refused', () => {
    const codes = [Int32Array.from([1, 2, 3]), Int32Array.from([4, 5, 6])];
    const chroma = [Float32Array.from({ length: 12 }, (_, i) => (i === 3 ? 1 : 0))];
    const make = () => evaluationJobPayload({ path: text, dtype: 'fp32', decoderLayout: 'auto' }, { id: 'b.000', codes, text: 'jazz', chroma });
    expect(evaluationJobId(make())).toBe(evaluationJobId(make()));
    expect(evaluationJobId({ ...make(), text: 'rock' })).not.toBe(evaluationJobId(make()));
    const parsed = parseEvaluationJobPayload(make(), [dirname(text)]);
    expect(parsed.item).toEqual({ codes, text: 'jazz', chroma });
    const refused = (p: object): string => {
      try {
        parseEvaluationJobPayload(p, [dirname(text)]);
      } catch (err) {
        expect(err).toBeInstanceOf(JobPayloadError);
        return (err as Error).message;
      }
      throw new Error('payload was accepted');
    };
    expect(refused({ ...make(), codes: [Buffer.from(Int32Array.from([-1]).buffer).toString('base64')] })).toMatch(/job.codes\[0\] must be base64 int32 frame ids in \[0, 65536\)/);
    expect(refused({ ...make(), model: { path: '/etc', dtype: 'fp32', decoderLayout: 'auto' } })).toMatch(/outside the folders this worker may load/);
    expect(refused({ ...make(), chroma: 'abc' })).toMatch(/job.chroma must be null or base64 float32/);
    expect(refused({ ...make(), version: 1 })).toMatch(/job format 1 is not the format/);
    expect(refused({ ...make(), path: '/x' })).toMatch(/job.path is not a field of an evaluation job/);
  });
});

describe.skipIf(!haveTool('redis-server', 'queued evaluations run on BullMQ workers on a Redis server'))('musicgen evaluate --queue', () => {
  let redis: TestRedis;
  let worker: Spawned | null = null;

  beforeAll(async () => {
    redis = await TestRedis.start();
  });
  afterAll(async () => {
    if (worker && worker.proc.exitCode === null) {
      worker.proc.kill('SIGTERM');
      await worker.exited;
    }
    await redis?.stop();
  });

  it('segments as jobs: the same rows as the local run (text and melody models), resumable, deterministic job ids, the queue empty after', async () => {
    const models = [text, melody];
    const local = await evaluateModels({ models, tokens, threads: 1 });
    const url = redis.url(4);

    // A collector stopped before any worker runs: its jobs stay queued.
    const controller = new AbortController();
    const first = evaluateOnQueue({
      models,
      tokens,
      queue: url,
      pollMs: 50,
      signal: controller.signal,
      log: (m) => {
        if (/segment job\(s\)/.test(m)) controller.abort();
      },
    });
    await expect(first).rejects.toThrow(AbortError);
    const queue = new Queue(QUEUE_NAME, { connection: parseQueueUrl(url).options });
    try {
      const segments = local.rows.length;
      expect(segments).toBe(6); // 3 segments x 2 models
      expect((await queue.getJobCounts('waiting')).waiting).toBe(segments);

      worker = spawnCollecting(process.execPath, ['--import', 'tsx', cli, 'worker', '--queue', url, '--threads', '1', '--allow-models', dirname(text)]);
      await worker.waitFor(/worker ready/);
      const logs: string[] = [];
      const progress: number[] = [];
      const queued = await evaluateOnQueue({ models, tokens, queue: url, pollMs: 50, log: (m) => logs.push(m), progress: (p) => progress.push(p.done) });
      // The same command again named the same jobs: nothing was enqueued twice.
      expect(logs.join('')).toMatch(new RegExp(`${segments} segment job\\(s\\) on redis://127.0.0.1:${redis.port}/4 \\(queue ${QUEUE_NAME}, ${segments} from an earlier run\\)`));
      expect(queued.rows.map(scored)).toEqual(local.rows.map(scored));
      expect(queued.summaries.map((s) => [s.model, s.items, s.parameters, s.ce.mean])).toEqual(local.summaries.map((s) => [s.model, s.items, s.parameters, s.ce.mean]));
      expect(progress.at(-1)).toBe(segments);
      // Each segment scored once, by the worker.
      expect(worker.output().match(/job evaluate-[0-9a-f]+ done/g)).toHaveLength(segments);
      // ... in one attempt each: the job process stays between jobs (its model loaded).
      expect(worker.output()).not.toMatch(/attempt 2|Unexpected exit code/);
      const counts = await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
      expect(Object.values(counts).every((n) => n === 0), JSON.stringify(counts)).toBe(true);
    } finally {
      await queue.close();
    }
  }, 180_000);

  it('through the command: --tokens --queue --json prints the local run\'s items; a model outside --allow-models is refused', async () => {
    const url = redis.url(4);
    const local = spawnCollecting(process.execPath, ['--import', 'tsx', cli, 'evaluate', '--model', text, '--tokens', tokens, '--json', '--quiet', '--threads', '1']);
    const queued = spawnCollecting(process.execPath, ['--import', 'tsx', cli, 'evaluate', '--model', text, '--tokens', tokens, '--json', '--quiet', '--queue', url]);
    expect(await local.exited, local.output()).toBe(0);
    expect(await queued.exited, queued.output()).toBe(0);
    expect(JSON.parse(queued.output()).items).toEqual(JSON.parse(local.output()).items);

    const elsewhere = mkdtempSync(join(tmpdir(), 'queue-eval-outside-'));
    const outside = join(elsewhere, 'tiny');
    cpSync(text, outside, { recursive: true });
    const refused = spawnCollecting(process.execPath, ['--import', 'tsx', cli, 'evaluate', '--model', outside, '--tokens', tokens, '--quiet', '--queue', url]);
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toMatch(/failed after 1 attempt\(s\): refused: model folder .* is outside the folders this worker may load/);
  }, 180_000);
});
